import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ClientRequest } from '../client-exchange.ts';

/** Above this much body read but not taken, the connection stops reading from the client. */
const unreadBodyLimitBytes = 64 * 1024;

/** What a request needs of its connection to apply backpressure on its body. */
export interface BodySource {
  pauseReading(): void;
  resumeReading(): void;
}

/**
 * One request read by the HTTP/1.1 front. The body stream is made only when a route reads it,
 * so the common request without a body costs no stream at all; until then, and for a
 * pipelined request still waiting its turn, its bytes are held here.
 */
export class FrontRequest implements ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly socket: Socket;
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  readonly httpMinorVersion: number;
  /** llhttp's reading of the version and Connection header. */
  readonly shouldKeepAlive: boolean;
  /** The last byte of this request has been read. */
  isComplete = false;
  /** Its response is done: further body bytes are read and dropped. */
  isDiscarding = false;
  readonly #source: BodySource;
  #headers: IncomingHttpHeaders | undefined;
  #body: RequestBody | undefined;
  #unread: Buffer[] | undefined;
  #unreadBytes = 0;

  constructor(
    socket: Socket,
    source: BodySource,
    head: {
      method: string;
      url: string;
      rawHeaders: string[];
      httpMinorVersion: number;
      shouldKeepAlive: boolean;
    },
  ) {
    this.socket = socket;
    this.#source = source;
    this.method = head.method;
    this.url = head.url;
    this.rawHeaders = head.rawHeaders;
    this.httpMinorVersion = head.httpMinorVersion;
    this.shouldKeepAlive = head.shouldKeepAlive;
  }

  get headers(): IncomingHttpHeaders {
    this.#headers ??= headersObjectOf(this.rawHeaders);
    return this.#headers;
  }

  get body(): Readable {
    if (this.#body === undefined) {
      const body = new RequestBody(this.#source);
      for (const chunk of this.#unread ?? []) body.push(chunk);
      this.#unread = undefined;
      this.#unreadBytes = 0;
      if (this.isComplete) body.push(null);
      this.#body = body;
    }
    return this.#body;
  }

  /** A piece of body from the parser. */
  receive(chunk: Buffer): void {
    if (this.isDiscarding) return;
    if (this.#body !== undefined) {
      if (!this.#body.push(chunk)) this.#source.pauseReading();
      return;
    }
    (this.#unread ??= []).push(chunk);
    this.#unreadBytes += chunk.length;
    if (this.#unreadBytes > unreadBodyLimitBytes) this.#source.pauseReading();
  }

  /** The parser read the last byte of this request. */
  complete(): void {
    this.isComplete = true;
    if (!this.isDiscarding) this.#body?.push(null);
  }

  /** The response is done while the body is still coming: drop what is held and what comes. */
  discardBody(): void {
    this.isDiscarding = true;
    this.#unread = undefined;
    this.#unreadBytes = 0;
  }

  /** The connection closed before the body ended. */
  abort(): void {
    if (this.isComplete || this.#body === undefined) return;
    this.#body.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
  }
}

class RequestBody extends Readable {
  readonly #source: BodySource;

  constructor(source: BodySource) {
    super();
    this.#source = source;
  }

  override _read(): void {
    this.#source.resumeReading();
  }
}

/**
 * Lowercased headers as node:http builds them: repeated `set-cookie` kept as a list, repeated
 * `cookie` joined with "; ", other repeats joined with ", " except for the fields node keeps
 * the first of.
 */
function headersObjectOf(rawHeaders: string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    const seen = headers[name];
    if (seen === undefined) {
      headers[name] = name === 'set-cookie' ? [value] : value;
    } else if (Array.isArray(seen)) {
      seen.push(value);
    } else if (name === 'cookie') {
      headers[name] = `${seen}; ${value}`;
    } else if (!firstWins.has(name)) {
      headers[name] = `${seen}, ${value}`;
    }
  }
  return headers;
}

/** Fields where node:http ignores repeats. */
const firstWins = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);
