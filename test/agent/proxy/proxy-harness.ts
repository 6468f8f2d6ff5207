import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { Agent, request } from 'undici';
import { createLogger } from '../../../shared/logger.ts';
import type { SwitchServiceRequest } from '../../../agent/proxy/admin-protocol.ts';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { startProxy, type RunningProxy } from '../../../agent/proxy/proxy-process.ts';

/** What a test upstream echoes back: who answered and what it received. */
export interface Echo {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface TestUpstream {
  name: string;
  /** `127.0.0.1:port`, as the proxy's `target`. */
  target: string;
  /** Requests that reached the handler, including ones still running. */
  received: number;
  /** `/slow` requests that reached the handler. */
  slowReceived: number;
  /** TCP connections currently open to this app (the proxy's pool). */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A keep-alive node:http app on 127.0.0.1:0 that echoes each request as JSON.
 * `/slow?ms=N` answers after N ms; `/status/N` answers with status N; `/reset` drops the
 * connection without answering; `/hop` answers with hop-by-hop headers.
 */
export async function startUpstream(name: string): Promise<TestUpstream> {
  const server = createServer((req, res) => {
    upstream.received += 1;
    if (req.url?.startsWith('/slow') === true) upstream.slowReceived += 1;
    void echo(name, req, res);
  });
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    acceptWebSocket(name, req, socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: TestUpstream = {
    name,
    target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: 0,
    slowReceived: 0,
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

/**
 * Just enough of RFC 6455 for tests: accepts the handshake (or answers 403 on `/reject`),
 * sends one text frame `hello from NAME PATH`, echoes each text frame as `NAME: TEXT`, and
 * answers a close frame (or the peer's end) by closing.
 */
function acceptWebSocket(name: string, req: IncomingMessage, socket: Duplex): void {
  if (req.url === '/reject') {
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 4\r\nconnection: close\r\n\r\nnope');
    return;
  }
  const accept = createHash('sha1')
    .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n\r\n`,
  );
  socket.write(textFrame(`hello from ${name} ${req.url ?? ''}`));
  socket.on('data', (frame: Buffer) => {
    const opcode = (frame[0] ?? 0) & 0x0f;
    if (opcode === 0x8) socket.end(Buffer.from([0x88, 0x00]));
    if (opcode === 0x1) socket.write(textFrame(`${name}: ${unmaskedPayload(frame)}`));
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
}

/** An unmasked text frame (server to client), for payloads under 126 bytes. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
}

/** The text of one masked client frame with a payload under 126 bytes. */
function unmaskedPayload(frame: Buffer): string {
  const length = (frame[1] ?? 0) & 0x7f;
  const mask = frame.subarray(2, 6);
  const payload = frame.subarray(6, 6 + length);
  return Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0))).toString('utf8');
}

async function echo(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch {
    // The proxy cut the request (a body over the limit): a real app sees the same abort.
    return;
  }
  const url = new URL(req.url ?? '/', 'http://upstream');
  const delayMs = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? 2000) : 0;
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  if (url.pathname === '/reset') {
    req.socket.destroy();
    return;
  }
  const status = url.pathname.startsWith('/status/') ? Number(url.pathname.slice(8)) : 200;
  if (url.pathname === '/hop') {
    res.setHeader('connection', 'keep-alive, x-private');
    res.setHeader('x-private', '1');
    res.setHeader('proxy-authenticate', 'Basic');
  }
  const body: Echo = {
    upstream: name,
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    body: Buffer.concat(chunks).toString('utf8'),
  };
  res.writeHead(status, { 'content-type': 'application/json', 'x-upstream': name });
  res.end(JSON.stringify(body));
}

export interface TestProxy {
  proxy: RunningProxy;
  client: ProxyClient;
  /** `http://127.0.0.1:port` of the app-traffic listener. */
  url: string;
  dir: string;
  socketPath: string;
  statePath: string;
  /** Stops the proxy but keeps the temp dir (for restart tests). */
  stop(): Promise<void>;
  /** Stops the proxy and removes the temp dir. */
  close(): Promise<void>;
}

export async function startTestProxy(options: { dir?: string } = {}): Promise<TestProxy> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-proxy-')));
  const socketPath = join(dir, 'proxy.sock');
  const statePath = join(dir, 'state', 'routes.json');
  const logger = createLogger({
    name: 'proxy-test',
    level: process.env.PROXY_TEST_LOG ?? 'silent',
  });
  const proxy = await startProxy({
    httpPort: 0,
    httpHost: '127.0.0.1',
    adminSocketPath: socketPath,
    statePath,
    logger,
  });
  const client = new ProxyClient(socketPath);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await client.close();
    await proxy.close();
  };
  return {
    proxy,
    client,
    url: `http://127.0.0.1:${proxy.httpAddress.port}`,
    dir,
    socketPath,
    statePath,
    stop,
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A route with the defaults a test rarely cares about. */
export function route(
  target: string,
  overrides: Partial<SwitchServiceRequest> = {},
): SwitchServiceRequest {
  return {
    hosts: [],
    pathPrefix: '/',
    stripPathPrefix: true,
    target,
    healthCheckPath: '/up',
    responseTimeoutMs: 30_000,
    ...overrides,
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAliveTimeout: 1_000 });

/** One request through the proxy with an explicit Host header. */
export async function send(
  baseUrl: string,
  path: string,
  options: { host?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const response = await request(`${baseUrl}${path}`, {
    dispatcher: agent,
    method: (options.method ?? 'GET') as 'GET',
    headers: { ...(options.host === undefined ? {} : { host: options.host }), ...options.headers },
    body: options.body,
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    text: await response.body.text(),
  };
}

export function echoOf(reply: Reply): Echo {
  return JSON.parse(reply.text) as Echo;
}

export async function until(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Sends an upgrade request by hand and returns everything read until the proxy closes. */
export async function rawUpgrade(baseUrl: string, path: string, host: string): Promise<string> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('latin1');
}
