import { connect, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientRequest, ClientResponse } from '../../../../agent/proxy/client-exchange.ts';
import type { ClientLimits } from '../../../../agent/proxy/client-limits.ts';
import {
  createHttp1Server,
  Http1Front,
  type FrontHandlers,
} from '../../../../agent/proxy/front/http1-front.ts';

/** Everything a test started, closed by `closeEverything` after each test. */
const servers: Server[] = [];
const fronts: Http1Front[] = [];
const sockets: Duplex[] = [];

export interface UpgradeCall {
  req: ClientRequest;
  socket: Duplex;
  head: Buffer;
}

export interface StartedFront {
  front: Http1Front;
  server: Server;
  port: number;
  /** What `onHandlerError` was called with. */
  handlerErrors: unknown[];
  /** Every `onUpgrade` call; the default handler keeps the socket open and does nothing. */
  upgrades: UpgradeCall[];
}

/** A front on 127.0.0.1, port 0, serving `onRequest` (and `onUpgrade` when given). */
export async function startFront(
  onRequest: (req: ClientRequest, res: ClientResponse) => void,
  options: { limits?: ClientLimits; onUpgrade?: FrontHandlers['onUpgrade'] } = {},
): Promise<StartedFront> {
  const handlerErrors: unknown[] = [];
  const upgrades: UpgradeCall[] = [];
  const front = new Http1Front(
    {
      onRequest,
      onUpgrade: (req, socket, head) => {
        sockets.push(socket);
        upgrades.push({ req, socket, head });
        options.onUpgrade?.(req, socket, head);
      },
      onHandlerError: (error) => handlerErrors.push(error),
    },
    options.limits,
  );
  const server = createHttp1Server(front);
  servers.push(server);
  fronts.push(front);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { front, server, port: (server.address() as AddressInfo).port, handlerErrors, upgrades };
}

/** Cuts every client, front connection, upgraded socket and listener the test made. */
export async function closeEverything(): Promise<void> {
  for (const socket of sockets.splice(0)) socket.destroy();
  for (const front of fronts.splice(0)) front.destroyAll();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
}

/** One HTTP response as it came off the wire. */
export interface RawResponse {
  status: number;
  statusLine: string;
  /** The head's text, status line and final blank line included. */
  head: string;
  /** Names as sent. */
  headers: [string, string][];
  body: Buffer;
  /** Every byte of the response. */
  raw: Buffer;
  /** The first value of `name` (any case), or undefined. */
  header(name: string): string | undefined;
  /** How many times `name` (any case) appears. */
  headerCount(name: string): number;
}

interface ReadOptions {
  /** The request was HEAD: a body is not expected whatever the head says. */
  noBody?: boolean;
  timeoutMs?: number;
}

/**
 * A raw TCP client: writes exact bytes, and reads responses by parsing exactly what comes back,
 * so a framing mistake (a stray body byte, a missing chunk end) shows as a wrong next response.
 */
export class RawClient {
  readonly socket: Socket;
  /** Received and not yet read by `readResponse`/`readExactly`. */
  pending = Buffer.alloc(0);
  /** Every byte received. */
  received = Buffer.alloc(0);
  /** The server ended its side (FIN). */
  hasEnded = false;
  isClosed = false;
  readonly #wakers = new Set<() => void>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (data: Buffer) => {
      this.pending = Buffer.concat([this.pending, data]);
      this.received = Buffer.concat([this.received, data]);
      this.#wake();
    });
    socket.on('end', () => {
      this.hasEnded = true;
      this.#wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.isClosed = true;
      this.#wake();
    });
  }

  /** Connects; with `allowHalfOpen`, the client's side stays open after the server's end. */
  static async connect(
    port: number,
    options: { allowHalfOpen?: boolean } = {},
  ): Promise<RawClient> {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: options.allowHalfOpen });
    sockets.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** The next whole response; interim (1xx) responses count as responses. */
  async readResponse(options: ReadOptions = {}): Promise<RawResponse> {
    return this.#waitFor(`a response`, options.timeoutMs, () => {
      const parsed = parseResponse(this.pending, options.noBody === true, this.hasEnded);
      if (parsed === undefined) return undefined;
      this.pending = this.pending.subarray(parsed.raw.length);
      return parsed;
    });
  }

  /** The next `length` bytes, as latin1 text. */
  async readExactly(length: number, timeoutMs?: number): Promise<string> {
    return this.#waitFor(`${length} bytes`, timeoutMs, () => {
      if (this.pending.length < length) return undefined;
      const text = this.pending.subarray(0, length).toString('latin1');
      this.pending = this.pending.subarray(length);
      return text;
    });
  }

  /** Resolves once the server ended its side of the connection, or it closed. */
  async ended(timeoutMs?: number): Promise<void> {
    await this.#waitFor('the end of the connection', timeoutMs, () =>
      this.hasEnded || this.isClosed ? true : undefined,
    );
  }

  #wake(): void {
    for (const wake of [...this.#wakers]) wake();
  }

  /** Runs `attempt` now and after every event until it gives a value. */
  async #waitFor<T>(what: string, timeoutMs = 5_000, attempt: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        const value = attempt();
        if (value !== undefined) {
          finish();
          resolve(value);
        } else if (this.isClosed) {
          finish();
          reject(new Error(`connection closed before ${what}; pending ${this.#pendingText()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${timeoutMs} ms; pending ${this.#pendingText()}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(check);
      };
      this.#wakers.add(check);
      check();
    });
  }

  #pendingText(): string {
    return JSON.stringify(this.pending.subarray(0, 300).toString('latin1'));
  }
}

/** The response at the start of `data`, or undefined while it is incomplete. */
function parseResponse(data: Buffer, noBody: boolean, isEnded: boolean): RawResponse | undefined {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = data.subarray(0, headEnd + 4).toString('latin1');
  const lines = head.slice(0, -4).split('\r\n');
  const statusLine = lines[0] ?? '';
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 'NaN');
  const headers = lines.slice(1).map((line): [string, string] => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon), line.slice(colon + 1).trim()];
  });
  const valuesOf = (name: string): string[] =>
    headers.filter(([key]) => key.toLowerCase() === name).map(([, value]) => value);
  const bodyStart = headEnd + 4;
  let bodyEnd: number | undefined;
  let body: Buffer;
  const isChunked = valuesOf('transfer-encoding').some((value) => /chunked/i.test(value));
  const length = valuesOf('content-length')[0];
  if (noBody || status < 200 || status === 204 || status === 304) {
    bodyEnd = bodyStart;
    body = Buffer.alloc(0);
  } else if (isChunked) {
    const chunks: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = data.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error(`bad chunk size line at ${at}`);
      if (size === 0) {
        if (data.length < lineEnd + 4) return undefined;
        if (data.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') !== '\r\n') {
          throw new Error('trailers or a bad last chunk');
        }
        bodyEnd = lineEnd + 4;
        break;
      }
      const chunkEnd = lineEnd + 2 + size;
      if (data.length < chunkEnd + 2) return undefined;
      if (data.subarray(chunkEnd, chunkEnd + 2).toString('latin1') !== '\r\n') {
        throw new Error(`chunk not followed by CRLF at ${chunkEnd}`);
      }
      chunks.push(data.subarray(lineEnd + 2, chunkEnd));
      at = chunkEnd + 2;
    }
    body = Buffer.concat(chunks);
  } else if (length !== undefined) {
    bodyEnd = bodyStart + Number(length);
    if (data.length < bodyEnd) return undefined;
    body = data.subarray(bodyStart, bodyEnd);
  } else {
    if (!isEnded) return undefined;
    bodyEnd = data.length;
    body = data.subarray(bodyStart);
  }
  return {
    status,
    statusLine,
    head,
    headers,
    body: Buffer.from(body),
    raw: Buffer.from(data.subarray(0, bodyEnd)),
    header: (name) => valuesOf(name.toLowerCase())[0],
    headerCount: (name) => valuesOf(name.toLowerCase()).length,
  };
}

/** Polls `condition` every 10 ms until it holds (or throws after `timeoutMs`). */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every byte of a readable, as one buffer. */
export async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A GET request's bytes for `path` on host `app.test`, with extra header lines. */
export function get(path: string, ...headerLines: string[]): string {
  return request('GET', path, ...headerLines);
}

export function request(method: string, path: string, ...headerLines: string[]): string {
  const extra = headerLines.map((line) => `${line}\r\n`).join('');
  return `${method} ${path} HTTP/1.1\r\nHost: app.test\r\n${extra}\r\n`;
}

/** A handler answering `text` with a Content-Length and a fixed date (for exact bytes). */
export function answerText(text: string, extra: Record<string, string> = {}) {
  return (_req: ClientRequest, res: ClientResponse): void => {
    res.writeHead(200, { date: fixedDate, 'content-length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };
}

export const fixedDate = 'Thu, 01 Jan 2026 00:00:00 GMT';

/** The exact bytes `answerText(text)` produces for a keep-alive HTTP/1.1 exchange. */
export function textResponse(text: string): string {
  return (
    `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n` +
    text
  );
}

/** Records the order handlers ran and ended in. */
export function echoPath(log: string[], delays: Record<string, number> = {}) {
  return (req: ClientRequest, res: ClientResponse): void => {
    log.push(`start ${req.url}`);
    const answer = (): void => {
      log.push(`end ${req.url}`);
      answerText(`path ${req.url}`)(req, res);
    };
    const delayMs = delays[req.url];
    if (delayMs === undefined) answer();
    else setTimeout(answer, delayMs);
  };
}

/** Collects the request body and answers it back with a Content-Length. */
export function echoBody(req: ClientRequest, res: ClientResponse): void {
  void readAll(req.body).then((body) => {
    res.writeHead(200, { date: fixedDate, 'content-length': body.length });
    res.end(body);
  });
}
