import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { connect as http2Connect, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { Client } from 'undici';
import type {
  CertificateStatus,
  ServiceTls,
  SwitchServiceRequest,
} from '../../../../agent/proxy/admin-protocol.ts';
import { ProxyClient } from '../../../../agent/proxy/proxy-client.ts';
import { startProxy, type RunningProxy } from '../../../../agent/proxy/proxy-process.ts';
import type { AcmeOptions } from '../../../../agent/proxy/tls/tls-setup.ts';
import { createLogger } from '../../../../shared/logger.ts';

export interface TlsTestProxy {
  proxy: RunningProxy;
  client: ProxyClient;
  httpUrl: string;
  httpsPort: number;
  dir: string;
  socketPath: string;
  statePath: string;
  /** `GET /certificates` on the admin socket. */
  certificates(): Promise<CertificateStatus[]>;
  /** Stops the proxy, keeping its directory (restart tests). */
  stop(): Promise<void>;
  /** Stops the proxy and removes its directory. */
  close(): Promise<void>;
}

/** An in-process proxy with HTTPS on a free port; `httpPort` 0 picks one too. */
export async function startTlsProxy(
  options: { dir?: string; httpPort?: number; acme?: AcmeOptions } = {},
): Promise<TlsTestProxy> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-tls-')));
  const socketPath = join(dir, 'proxy.sock');
  const statePath = join(dir, 'state', 'routes.json');
  const proxy = await startProxy({
    httpPort: options.httpPort ?? 0,
    httpHost: '127.0.0.1',
    adminSocketPath: socketPath,
    statePath,
    logger: createLogger({ name: 'tls-test', level: process.env.PROXY_TEST_LOG ?? 'silent' }),
    https: { port: 0, acme: options.acme },
  });
  const client = new ProxyClient(socketPath);
  const admin = new Client('http://localhost', { socketPath });
  let isStopped = false;
  const stop = async (): Promise<void> => {
    if (isStopped) return;
    isStopped = true;
    await Promise.all([client.close(), admin.close()]);
    await proxy.close();
  };
  return {
    proxy,
    client,
    httpUrl: `http://127.0.0.1:${proxy.httpAddress.port}`,
    httpsPort: proxy.httpsAddress?.port ?? 0,
    dir,
    socketPath,
    statePath,
    certificates: async () => {
      const response = await admin.request({ method: 'GET', path: '/certificates' });
      const body = (await response.body.json()) as { certificates: CertificateStatus[] };
      return body.certificates;
    },
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A route for `hosts` with TLS settings; the other fields are test defaults. */
export function tlsRoute(target: string, hosts: string[], tls: ServiceTls): SwitchServiceRequest {
  return {
    hosts,
    pathPrefix: '/',
    stripPathPrefix: true,
    target,
    healthCheckPath: '/up',
    responseTimeoutMs: 30_000,
    tls,
  };
}

/** A route's TLS with a custom certificate: no HTTP redirect and no HSTS unless asked. */
export function customTls(
  certificate: { certPem: string; keyPem: string },
  options: { redirectHttp?: boolean; hstsMaxAgeSeconds?: number } = {},
): ServiceTls {
  return {
    mode: 'custom',
    certificatePem: certificate.certPem,
    privateKeyPem: certificate.keyPem,
    redirectHttp: options.redirectHttp ?? false,
    hstsMaxAgeSeconds: options.hstsMaxAgeSeconds ?? 0,
  };
}

/** What the app saw of a request. */
export interface AppView {
  httpVersion: string;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A keep-alive app on 127.0.0.1:0 that answers every request with its `AppView` as JSON
 * (`/h2-forbidden` adds a header HTTP/2 cannot carry, `/cookies` two Set-Cookie headers);
 * `/status/N` answers status N with no body.
 */
export async function startViewApp(): Promise<{ target: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const view: AppView = {
        httpVersion: req.httpVersion,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      if (view.url.startsWith('/status/')) {
        res.writeHead(Number(view.url.slice('/status/'.length))).end();
        return;
      }
      // A header HTTP/1.1 allows and HTTP/2 forbids, for the proxy's HTTP/2 clients.
      if (view.url === '/h2-forbidden') res.setHeader('http2-settings', 'AAMAAABkAAQAoAAAAAIAAAAA');
      if (view.url === '/cookies') res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(view));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface HttpsReply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

/** One HTTP/1.1 request over TLS to 127.0.0.1:`port`, with SNI and Host `host`. */
export function httpsGet(
  port: number,
  host: string,
  path: string,
  options: { ca: string | string[]; headers?: Record<string, string> },
): Promise<HttpsReply> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: host,
        ca: options.ca,
        agent: false,
        headers: { host, ...options.headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** One HTTP/2 request over TLS (ALPN h2); returns the response headers and body. */
export async function http2Request(
  port: number,
  host: string,
  headers: Record<string, string>,
  options: { ca: string | string[]; body?: string },
): Promise<{ headers: IncomingHttpHeaders; text: string; alpnProtocol: string | undefined }> {
  const session = http2Connect(`https://127.0.0.1:${port}`, { servername: host, ca: options.ca });
  try {
    const stream = session.request({ ':authority': host, ...headers });
    if (options.body === undefined) stream.end();
    else {
      // Two writes and no content-length: the proxy must stream the body on.
      stream.write(options.body.slice(0, 3));
      setTimeout(() => stream.end(options.body?.slice(3)), 20);
    }
    const [responseHeaders, text] = await Promise.all([
      new Promise<IncomingHttpHeaders>((resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      }),
      new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        stream.once('error', reject);
      }),
    ]);
    return { headers: responseHeaders, text, alpnProtocol: session.alpnProtocol };
  } finally {
    session.close();
  }
}

/** The certificate served for SNI `host`, unverified; rejects when the handshake fails. */
export function servedCertificate(port: number, host: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      servername: host,
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate();
      socket.destroy();
      resolve(certificate);
    });
    socket.once('error', reject);
  });
}

/** Whether a client trusting only `ca` accepts the chain served for `host`. */
export function verifiesAgainst(port: number, host: string, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: host, ca });
    socket.once('secureConnect', () => {
      const isAuthorized = socket.authorized;
      socket.destroy();
      resolve(isAuthorized);
    });
    socket.once('error', reject);
  });
}

/** A loopback port that was free a moment ago, for servers that must be told it up front. */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
