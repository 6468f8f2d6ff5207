import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type {
  IncomingHttpHeaders as Http2IncomingHeaders,
  OutgoingHttpHeaders as Http2OutgoingHeaders,
  ServerHttp2Stream,
} from 'node:http2';
import type { Readable } from 'node:stream';
import type { ClientRequest, ClientResponse, ClientSocket } from '../client-exchange.ts';
import { isContinueExpectation } from '../front/head-check.ts';

/**
 * An HTTP/2 stream as the HTTP/1.1 shapes the traffic handler takes, on node's core stream API:
 * node's compat request and response objects cost more CPU per request than Berth's own work.
 * The request's raw headers lose the pseudo-headers (`:authority` becomes Host), cookie crumbs
 * are joined (RFC 9113 §8.2.3), and a body without content-length is flagged as chunked so it
 * is streamed on; the stream is the body. The response drops the status message HTTP/2 has no
 * place for and, as node's compat response does, sends its head at `writeHead` (so a header
 * HTTP/2 forbids throws there) and ignores calls once the stream is gone.
 */
export function http2Exchange(
  stream: ServerHttp2Stream,
  headers: Http2IncomingHeaders,
  rawHeaders: string[],
): { req: ClientRequest; res: ClientResponse } {
  return {
    req: new Http2ClientRequest(stream, headers, rawHeaders),
    res: new Http2ClientResponse(stream),
  };
}

/**
 * Answers what a request's `Expect` asks, as node's compat server does: `100-continue` at
 * once, anything else 417 (then the stream is done). True when the request goes no further.
 */
export function answerExpectation(
  stream: ServerHttp2Stream,
  headers: Http2IncomingHeaders,
): boolean {
  const expectation = headers.expect;
  if (expectation === undefined) return false;
  if (isContinueExpectation(expectation)) {
    stream.additionalHeaders({ ':status': 100 });
    return false;
  }
  stream.respond({ ':status': 417 }, { endStream: true });
  return true;
}

class Http2ClientRequest implements ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly #stream: ServerHttp2Stream;
  readonly #headers: Http2IncomingHeaders;

  constructor(stream: ServerHttp2Stream, headers: Http2IncomingHeaders, rawHeaders: string[]) {
    this.#stream = stream;
    this.#headers = headers;
    this.method = headers[':method'] ?? 'GET';
    this.url = headers[':path'] ?? headers[':authority'] ?? '';
    this.rawHeaders = http1RawHeaders(rawHeaders, stream.endAfterHeaders);
  }

  get headers(): IncomingHttpHeaders {
    const headers = this.#headers;
    const authority = headers[':authority'];
    if (headers.host === undefined && authority !== undefined) headers.host = authority;
    return headers;
  }

  get socket(): ClientSocket {
    return this.#stream.session?.socket ?? {};
  }

  get body(): Readable {
    return this.#stream;
  }
}

class Http2ClientResponse implements ClientResponse {
  statusCode = 200;
  readonly #stream: ServerHttp2Stream;
  /** Set by `setHeader`, lowercased; `undefined` once removed. */
  #pending: Record<string, string | undefined> | undefined;

  constructor(stream: ServerHttp2Stream) {
    this.#stream = stream;
  }

  get headersSent(): boolean {
    return this.#stream.headersSent;
  }

  get destroyed(): boolean {
    return this.#stream.destroyed;
  }

  get writableFinished(): boolean {
    return this.#stream.writableFinished;
  }

  writeHead(
    statusCode: number,
    messageOrHeaders?: string | OutgoingHttpHeaders,
    headers?: OutgoingHttpHeaders | string[],
  ): this {
    const stream = this.#stream;
    if (stream.destroyed || stream.closed) return this;
    const given = typeof messageOrHeaders === 'string' ? headers : messageOrHeaders;
    const head: Http2OutgoingHeaders = {};
    for (const name in this.#pending) {
      const value = this.#pending[name];
      if (value !== undefined) head[name] = value;
    }
    if (Array.isArray(given)) addFlatHeaders(head, given);
    else if (given !== undefined) {
      for (const name in given) {
        const value = given[name];
        if (value !== undefined) head[name.toLowerCase()] = value;
      }
    }
    head[':status'] = statusCode;
    stream.respond(head);
    this.statusCode = statusCode;
    return this;
  }

  setHeader(name: string, value: string): this {
    (this.#pending ??= {})[name.toLowerCase()] = value;
    return this;
  }

  removeHeader(name: string): void {
    if (this.#pending !== undefined) this.#pending[name.toLowerCase()] = undefined;
  }

  write(chunk: Buffer): boolean {
    const stream = this.#stream;
    if (!stream.headersSent) this.writeHead(this.statusCode);
    if (stream.destroyed || stream.closed) return false;
    // HEAD, 204 and 304 answers end with their head: there is no body to send.
    if (stream.writableEnded) return true;
    return stream.write(chunk);
  }

  end(chunk?: Buffer | string): this {
    const stream = this.#stream;
    if (!stream.headersSent) this.writeHead(this.statusCode);
    if (stream.destroyed || stream.closed || stream.writableEnded) return this;
    if (chunk === undefined) stream.end();
    else stream.end(chunk);
    return this;
  }

  destroy(error?: Error): this {
    this.#stream.destroy(error);
    return this;
  }

  once(event: 'close' | 'drain', listener: () => void): this {
    this.#stream.once(event, listener);
    return this;
  }

  off(event: 'close' | 'drain', listener: () => void): this {
    this.#stream.off(event, listener);
    return this;
  }
}

/**
 * `[name, value, …]` into `head`: the first value of a name replaces what `setHeader` put
 * there, later ones of the same name join it in a list (Set-Cookie).
 */
function addFlatHeaders(head: Http2OutgoingHeaders, flat: string[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] ?? '').toLowerCase();
    const value = flat[i + 1] ?? '';
    const before = head[name];
    if (!seen.has(name) || before === undefined) {
      seen.add(name);
      head[name] = value;
    } else {
      head[name] = Array.isArray(before) ? [...before, value] : [String(before), value];
    }
  }
}

function http1RawHeaders(raw: string[], isBodyless: boolean): string[] {
  const headers: string[] = [];
  let authority: string | undefined;
  let hasHost = false;
  let hasLength = false;
  let cookies: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    if (name.charCodeAt(0) === 58) {
      if (name === ':authority') authority = value;
      continue;
    }
    switch (name) {
      case 'cookie':
        (cookies ??= []).push(value);
        continue;
      case 'host':
        hasHost = true;
        break;
      case 'content-length':
        hasLength = true;
        break;
    }
    headers.push(name, value);
  }
  if (!hasHost && authority !== undefined) headers.unshift('host', authority);
  if (cookies !== undefined) headers.push('cookie', cookies.join('; '));
  if (!hasLength && !isBodyless) headers.push('transfer-encoding', 'chunked');
  return headers;
}
