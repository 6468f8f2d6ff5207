import { readFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { ClientRequest, ClientResponse } from '../../agent/proxy/client-exchange.ts';
import {
  clientConnectionOf,
  forwardedRequestHead,
  responseHeadersToForward,
} from '../../agent/proxy/forwarded-headers.ts';
import { createHttp1Server, Http1Front } from '../../agent/proxy/front/http1-front.ts';
import { UpstreamPool } from '../../agent/proxy/upstream-pool.ts';

/**
 * The floor under Berth's proxy: one process, Berth's HTTP/1.1 front (over TLS when given a
 * certificate) and its upstream pool, the same forwarded headers, and nothing else — no routing
 * table, policies, metrics, drain tracking or error pages. What Berth costs above this row is its
 * features; what this row costs above nginx is Node. Prints `{"port":N}` once listening.
 *
 *   bare-proxy-main.ts UPSTREAM_TARGET [CERT_PEM_PATH KEY_PEM_PATH]
 */
const [target = '', certificatePath, privateKeyPath] = process.argv.slice(2);
const pool = new UpstreamPool(target);

function forward(req: ClientRequest, res: ClientResponse): void {
  const head = forwardedRequestHead(req.rawHeaders, clientConnectionOf(req, undefined));
  const call = pool.request(
    {
      method: req.method,
      path: req.url,
      headers: head.headers,
      hasHost: head.host !== undefined,
      body: head.body === 'none' ? null : req.body,
      isBodyChunked: head.body === 'chunked',
      responseTimeoutMs: 30_000,
    },
    {
      onResponseHead: (status, message, rawHeaders) =>
        res.writeHead(status, message, responseHeadersToForward(rawHeaders)),
      onResponseData: (chunk) => {
        if (res.write(chunk)) return true;
        res.once('drain', () => call.resume());
        return false;
      },
      onResponseEnd: (lastChunk) => res.end(lastChunk),
      onResponseError: () => {
        if (res.headersSent) res.destroy();
        else res.writeHead(502).end();
      },
    },
  );
}

const front = new Http1Front({
  onRequest: forward,
  onUpgrade: (_req, socket) => socket.destroy(),
  onHandlerError: (error) => {
    throw error;
  },
});
const server: Server =
  certificatePath === undefined || privateKeyPath === undefined
    ? createHttp1Server(front)
    : createTlsServer(
        {
          cert: readFileSync(certificatePath),
          key: readFileSync(privateKeyPath),
          noDelay: true,
          allowHalfOpen: true,
        },
        front.accept,
      );
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
