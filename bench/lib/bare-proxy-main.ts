import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  clientConnectionOf,
  forwardedRequestHead,
  responseHeadersToForward,
} from '../../agent/proxy/forwarded-headers.ts';
import { UpstreamPool } from '../../agent/proxy/upstream-pool.ts';

/**
 * The floor under Berth's proxy: one process, node:http (or node:https) in front of Berth's own
 * upstream pool, the same forwarded headers, and nothing else — no routing table, policies,
 * metrics, drain tracking or error pages. What Berth costs above this row is its features; what
 * this row costs above nginx is Node. Prints `{"port":N}` once listening.
 *
 *   bare-proxy-main.ts UPSTREAM_TARGET [CERT_PEM_PATH KEY_PEM_PATH]
 */
const [target = '', certificatePath, privateKeyPath] = process.argv.slice(2);
const pool = new UpstreamPool(target);

function forward(req: IncomingMessage, res: ServerResponse): void {
  const head = forwardedRequestHead(req.rawHeaders, clientConnectionOf(req, undefined));
  const call = pool.request(
    {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: head.headers,
      hasHost: head.host !== undefined,
      body: head.body === 'none' ? null : req,
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

const server =
  certificatePath === undefined || privateKeyPath === undefined
    ? createServer(forward)
    : createHttpsServer(
        { cert: readFileSync(certificatePath), key: readFileSync(privateKeyPath) },
        forward,
      );
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
