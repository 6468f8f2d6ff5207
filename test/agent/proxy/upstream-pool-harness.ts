import { createHash } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { expect } from 'vitest';
import type { ResponseSink, UpstreamRequest } from '../../../agent/proxy/upstream-call.ts';
import { UpstreamError } from '../../../agent/proxy/upstream-error.ts';
import { UpstreamPool } from '../../../agent/proxy/upstream-pool.ts';

export type SinkEvent = 'head' | 'data' | 'end' | 'error';

/** A ResponseSink that records every callback; `settled` resolves at the end or the error. */
export class RecordingSink implements ResponseSink {
  readonly events: SinkEvent[] = [];
  readonly chunks: Buffer[] = [];
  statusCode = 0;
  statusMessage = '';
  rawHeaders: string[] = [];
  lastChunk: Buffer | undefined;
  error: Error | undefined;
  /** What `onResponseData` answers: false asks the pool to stop reading. */
  isAccepting = true;
  /** Called after each recorded chunk, to act mid-response. */
  onChunk: ((chunk: Buffer) => void) | undefined;
  readonly settled: Promise<void>;
  #settle: () => void = () => undefined;

  constructor() {
    this.settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  onResponseHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void {
    this.events.push('head');
    this.statusCode = statusCode;
    this.statusMessage = statusMessage;
    this.rawHeaders = rawHeaders;
  }

  onResponseData(chunk: Buffer): boolean {
    this.events.push('data');
    this.chunks.push(chunk);
    this.onChunk?.(chunk);
    return this.isAccepting;
  }

  onResponseEnd(lastChunk: Buffer | undefined): void {
    this.events.push('end');
    this.lastChunk = lastChunk;
    this.#settle();
  }

  onResponseError(error: Error): void {
    this.events.push('error');
    this.error = error;
    this.#settle();
  }

  /** Every body byte delivered, the last chunk included. */
  get body(): Buffer {
    return Buffer.concat(
      this.lastChunk === undefined ? this.chunks : [...this.chunks, this.lastChunk],
    );
  }

  header(name: string): string | undefined {
    for (let i = 0; i < this.rawHeaders.length; i += 2) {
      if (this.rawHeaders[i]?.toLowerCase() === name) return this.rawHeaders[i + 1];
    }
    return undefined;
  }
}

/** A GET for `app.test` with a generous response timeout, changed by `overrides`. */
export function requestFor(
  path: string,
  overrides: Partial<UpstreamRequest> = {},
): UpstreamRequest {
  return {
    method: 'GET',
    path,
    headers: ['host', 'app.test'],
    hasHost: true,
    body: null,
    isBodyChunked: false,
    responseTimeoutMs: 10_000,
    ...overrides,
  };
}

interface Listening {
  /** `127.0.0.1:port`, as the pool's target. */
  target: string;
  port: number;
  /** Server-side sockets in the order they were accepted. */
  sockets: Socket[];
  /** Server-side sockets that are closed by now. */
  closed: Set<Socket>;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Socket[], closed: Set<Socket>): Promise<Listening> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: `127.0.0.1:${port}`,
    port,
    sockets,
    closed,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a node:http app received. */
export interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface HttpApp extends Listening {
  received: Received[];
}

/**
 * A keep-alive node:http app. `handler` answers; by default the request body is read whole
 * first and recorded in `received` (pass `readsBody: false` to answer without reading it).
 */
export async function startHttpApp(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
  options: { readsBody?: boolean } = {},
): Promise<HttpApp> {
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const received: Received[] = [];
  const server = createHttpServer((req, res) => {
    const record = (body: Buffer): void => {
      const { method = '', url = '', rawHeaders, headers } = req;
      received.push({ method, url, rawHeaders, headers, body });
      handler(req, res, body);
    };
    if (options.readsBody === false) {
      record(Buffer.alloc(0));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => record(Buffer.concat(chunks)));
  });
  server.on('connection', (socket: Socket) => {
    sockets.push(socket);
    socket.once('close', () => closed.add(socket));
  });
  const listening = await listen(server, sockets, closed);
  return { ...listening, received };
}

/** A scripted app on a raw TCP socket: `onSocket` gets each connection and its index. */
export async function startRawApp(
  onSocket: (socket: Socket, index: number) => void,
): Promise<Listening> {
  const sockets: Socket[] = [];
  const closed = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once('close', () => closed.add(socket));
    socket.on('error', () => socket.destroy());
    onSocket(socket, sockets.length - 1);
    // An app that reads nothing still notices when the pool closes the connection.
    if (socket.listenerCount('data') === 0) socket.resume();
  });
  return listen(server, sockets, closed);
}

/** Calls `handler` with each request head read off `socket` (requests without a body). */
export function onRequestHeads(
  socket: Socket,
  handler: (head: string, index: number) => void,
): void {
  let buffered = '';
  let count = 0;
  socket.on('data', (data: Buffer) => {
    buffered += data.toString('latin1');
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      handler(head, count++);
    }
  });
}

/** A response with a Content-Length body. */
export function rawResponse(body: string, extraHeaders = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n${body}`;
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Run after each test, last first. */
export const cleanups: (() => Promise<void>)[] = [];

/** Closes the pools and apps the test made; pass to `afterEach`. */
export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

/** A pool for `app`, destroyed with the app after the test. */
export function poolFor(app: { target: string; close(): Promise<void> }): UpstreamPool {
  const pool = new UpstreamPool(app.target);
  cleanups.push(
    () => app.close(),
    () => pool.destroy(),
  );
  return pool;
}

/** Sends `request` and waits for its end or its error. */
export async function exchange(
  pool: UpstreamPool,
  request: UpstreamRequest,
): Promise<RecordingSink> {
  const sink = new RecordingSink();
  pool.request(request, sink);
  await sink.settled;
  return sink;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes that differ along the way, so a lost or moved piece shows. */
export function patterned(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) data.writeUInt32BE(i, i);
  return data;
}

export function piecesOf(data: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(data.length / size) }, (_, i) =>
    data.subarray(i * size, (i + 1) * size),
  );
}

export function upstreamErrorOf(sink: RecordingSink): UpstreamError {
  expect(sink.error).toBeInstanceOf(UpstreamError);
  return sink.error as UpstreamError;
}
