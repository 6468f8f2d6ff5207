import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Readable } from 'node:stream';
import type { ClientRequest, ClientResponse, ClientSocket } from '../client-exchange.ts';

/**
 * An HTTP/2 exchange as the HTTP/1.1 shapes the traffic handler takes, wrapping node's compat
 * objects rather than changing them (a property added to each one per request cost CPU).
 * Its raw headers lose the pseudo-headers (`:authority` becomes Host), cookie crumbs are
 * joined (RFC 9113 §8.2.3), and a body without content-length is flagged as chunked so it is
 * streamed on; the response drops the status message HTTP/2 has no place for. The compat
 * request is the body stream.
 */
export function asHttp1Exchange(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): { req: ClientRequest; res: ClientResponse } {
  return { req: new Http2ClientRequest(req), res: new Http2ClientResponse(res) };
}

class Http2ClientRequest implements ClientRequest {
  readonly #req: Http2ServerRequest;
  readonly rawHeaders: string[];

  constructor(req: Http2ServerRequest) {
    this.#req = req;
    this.rawHeaders = http1RawHeaders(req);
  }

  get method(): string {
    return this.#req.method;
  }

  get url(): string {
    return this.#req.url;
  }

  get headers(): IncomingHttpHeaders {
    const { headers, authority } = this.#req;
    if (headers.host === undefined && authority !== undefined) headers.host = authority;
    return headers;
  }

  get socket(): ClientSocket {
    return this.#req.socket;
  }

  get body(): Readable {
    return this.#req;
  }
}

class Http2ClientResponse implements ClientResponse {
  readonly #res: Http2ServerResponse;

  constructor(res: Http2ServerResponse) {
    this.#res = res;
  }

  get statusCode(): number {
    return this.#res.statusCode;
  }

  set statusCode(statusCode: number) {
    this.#res.statusCode = statusCode;
  }

  get headersSent(): boolean {
    return this.#res.headersSent;
  }

  get destroyed(): boolean {
    return this.#res.destroyed;
  }

  get writableFinished(): boolean {
    return this.#res.writableFinished;
  }

  writeHead(
    statusCode: number,
    messageOrHeaders?: string | OutgoingHttpHeaders,
    headers?: OutgoingHttpHeaders | string[],
  ): this {
    const head = typeof messageOrHeaders === 'string' ? headers : messageOrHeaders;
    // Node's compat writeHead takes a flat [name, value, …] list too; its types say otherwise.
    this.#res.writeHead(statusCode, head as OutgoingHttpHeaders | undefined);
    return this;
  }

  setHeader(name: string, value: string): this {
    this.#res.setHeader(name, value);
    return this;
  }

  removeHeader(name: string): void {
    this.#res.removeHeader(name);
  }

  write(chunk: Buffer): boolean {
    return this.#res.write(chunk);
  }

  end(chunk?: Buffer | string): this {
    if (chunk === undefined) this.#res.end();
    else this.#res.end(chunk);
    return this;
  }

  destroy(error?: Error): this {
    this.#res.destroy(error);
    return this;
  }

  once(event: 'close' | 'drain', listener: () => void): this {
    this.#res.once(event, listener);
    return this;
  }

  off(event: 'close' | 'drain', listener: () => void): this {
    this.#res.off(event, listener);
    return this;
  }
}

function http1RawHeaders(req: Http2ServerRequest): string[] {
  const raw = req.rawHeaders;
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
  if (!hasLength && !req.stream.endAfterHeaders) headers.push('transfer-encoding', 'chunked');
  return headers;
}
