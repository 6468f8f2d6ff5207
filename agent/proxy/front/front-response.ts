import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import type { ClientResponse } from '../client-exchange.ts';
import { httpDate } from './http-date.ts';
import type { FrontRequest } from './front-request.ts';

/** What a response needs of its connection. */
export interface ResponseOwner {
  /** True once the proxy is letting go of its clients: every response closes its connection. */
  readonly isDraining: boolean;
  /** Writes bytes of this response; false when the socket is backed up. */
  send(data: Buffer | string): boolean;
  /** The response's last byte was handed over; `keepAlive` says whether the connection stays. */
  finished(response: FrontResponse, keepAlive: boolean): void;
  /** Ends the connection at once. */
  cut(): void;
  readonly isClosed: boolean;
}

/** Below this size a body is copied behind the head so both leave in one write. */
const coalesceBytes = 16 * 1024;
const lastChunk = '0\r\n\r\n';

/**
 * The HTTP/1.1 response to one FrontRequest. The head is kept until the first body bytes (or the
 * end) so a small response leaves in one write. Framing follows the head: its Content-Length
 * when it has one, chunked for an HTTP/1.1 client otherwise, and for an HTTP/1.0 client the
 * end of the connection. Header names and values arrive from llhttp (strict, no CR or LF) or
 * from the proxy's own constants, so they are written as they are. Its two events, 'close' and
 * 'drain', are kept in plain lists rather than an EventEmitter: a response lives for one request.
 */
export class FrontResponse implements ClientResponse {
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  readonly #request: FrontRequest;
  readonly #owner: ResponseOwner;
  #presetHeaders: string[] | undefined;
  #pendingHead: string | undefined;
  #isChunked = false;
  #hasBody = true;
  #keepAlive = true;
  #isEnded = false;
  #isDestroyed = false;
  #closeListeners: (() => void)[] | undefined;
  #drainListeners: (() => void)[] | undefined;

  constructor(request: FrontRequest, owner: ResponseOwner) {
    this.#request = request;
    this.#owner = owner;
  }

  get destroyed(): boolean {
    return this.#isDestroyed || this.#owner.isClosed;
  }

  setHeader(name: string, value: string): this {
    this.removeHeader(name);
    (this.#presetHeaders ??= []).push(name.toLowerCase(), value);
    return this;
  }

  removeHeader(name: string): void {
    const preset = this.#presetHeaders;
    if (preset === undefined) return;
    const lower = name.toLowerCase();
    for (let i = preset.length - 2; i >= 0; i -= 2) {
      if (preset[i] === lower) preset.splice(i, 2);
    }
  }

  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): this;
  writeHead(statusCode: number, statusMessage: string, headers: string[]): this;
  writeHead(
    statusCode: number,
    messageOrHeaders?: string | OutgoingHttpHeaders,
    flatHeaders?: string[],
  ): this {
    if (this.headersSent) throw new Error('the response head was already sent');
    this.statusCode = statusCode;
    const message =
      typeof messageOrHeaders === 'string' && messageOrHeaders !== ''
        ? messageOrHeaders
        : (STATUS_CODES[statusCode] ?? 'unknown');
    const headers =
      typeof messageOrHeaders === 'string'
        ? (flatHeaders ?? [])
        : flatHeadersOf(messageOrHeaders ?? {});
    this.#pendingHead = this.#headText(statusCode, message, headers);
    this.headersSent = true;
    return this;
  }

  write(chunk: Buffer): boolean {
    if (this.#isEnded || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (!this.#hasBody || chunk.length === 0) return this.#flushHead();
    return this.#owner.send(this.#framed(chunk, false));
  }

  end(chunk?: Buffer | string): this {
    if (this.#isEnded || this.destroyed) return this;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.#isEnded = true;
    const body = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.#hasBody && body !== undefined && body.length > 0) {
      this.#owner.send(this.#framed(body, true));
    } else if (this.#pendingHead !== undefined) {
      const head = this.#pendingHead;
      this.#pendingHead = undefined;
      this.#owner.send(this.#isChunked ? head + lastChunk : head);
    } else if (this.#isChunked) {
      this.#owner.send(lastChunk);
    }
    this.writableFinished = true;
    this.#owner.finished(this, this.#keepAlive);
    return this;
  }

  destroy(): this {
    if (this.#isDestroyed) return this;
    this.#isDestroyed = true;
    this.#owner.cut();
    return this;
  }

  once(event: 'close' | 'drain', listener: () => void): this {
    if (event === 'close') (this.#closeListeners ??= []).push(listener);
    else (this.#drainListeners ??= []).push(listener);
    return this;
  }

  off(event: 'close' | 'drain', listener: () => void): this {
    const listeners = event === 'close' ? this.#closeListeners : this.#drainListeners;
    const index = listeners?.indexOf(listener) ?? -1;
    if (index !== -1) listeners?.splice(index, 1);
    return this;
  }

  /** Calls, once, the listeners `event` has now; those added meanwhile wait for the next one. */
  emit(event: 'close' | 'drain'): void {
    const listeners = event === 'close' ? this.#closeListeners : this.#drainListeners;
    if (listeners === undefined) return;
    if (event === 'close') this.#closeListeners = undefined;
    else this.#drainListeners = undefined;
    for (const listener of listeners) listener();
  }

  /** The head as text, with the framing and connection headers this exchange needs. */
  #headText(statusCode: number, message: string, headers: string[]): string {
    const request = this.#request;
    let text = `HTTP/1.1 ${statusCode} ${message}\r\n`;
    let hasLength = false;
    let hasDate = false;
    let asksClose = false;
    const preset = this.#presetHeaders;
    if (preset !== undefined) headers = withPreset(preset, headers);
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] ?? '';
      const value = headers[i + 1] ?? '';
      switch (name.length) {
        case 4:
          hasDate ||= name.toLowerCase() === 'date';
          break;
        case 10:
          if (name.toLowerCase() === 'connection') {
            asksClose ||= /\bclose\b/i.test(value);
            continue;
          }
          break;
        case 14:
          hasLength ||= name.toLowerCase() === 'content-length';
          break;
      }
      text += `${name}: ${value}\r\n`;
    }
    this.#hasBody =
      request.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304 && statusCode >= 200;
    const isHttp11 = request.httpMinorVersion >= 1;
    const framedByClose = this.#hasBody && !hasLength && !isHttp11;
    this.#isChunked = this.#hasBody && !hasLength && isHttp11;
    if (this.#isChunked) text += 'transfer-encoding: chunked\r\n';
    this.#keepAlive =
      request.shouldKeepAlive && !asksClose && !framedByClose && !this.#owner.isDraining;
    if (!this.#keepAlive) text += 'connection: close\r\n';
    else if (!isHttp11) text += 'connection: keep-alive\r\n';
    if (!hasDate) text += `date: ${httpDate()}\r\n`;
    return `${text}\r\n`;
  }

  #flushHead(): boolean {
    const head = this.#pendingHead;
    if (head === undefined) return true;
    this.#pendingHead = undefined;
    return this.#owner.send(head);
  }

  /** `body` framed for the wire, behind the head when that is still waiting. */
  #framed(body: Buffer, isLast: boolean): Buffer {
    const head = this.#pendingHead ?? '';
    this.#pendingHead = undefined;
    let prefix = head;
    let suffix = '';
    if (this.#isChunked) {
      prefix += `${body.length.toString(16)}\r\n`;
      suffix = isLast ? `\r\n${lastChunk}` : '\r\n';
    }
    if (prefix === '' && suffix === '') return body;
    if (body.length > coalesceBytes) {
      this.#owner.send(prefix);
      if (suffix === '') return body;
      this.#owner.send(body);
      return Buffer.from(suffix, 'latin1');
    }
    const prefixBytes = Buffer.byteLength(prefix, 'latin1');
    const framed = Buffer.allocUnsafe(prefixBytes + body.length + suffix.length);
    framed.write(prefix, 0, 'latin1');
    body.copy(framed, prefixBytes);
    if (suffix !== '') framed.write(suffix, prefixBytes + body.length, 'latin1');
    return framed;
  }
}

/** `headers` behind the preset ones they do not replace. */
function withPreset(preset: string[], headers: string[]): string[] {
  const merged: string[] = [];
  for (let i = 0; i < preset.length; i += 2) {
    const name = preset[i] ?? '';
    if (!namedIn(headers, name)) merged.push(name, preset[i + 1] ?? '');
  }
  for (const item of headers) merged.push(item);
  return merged;
}

function namedIn(headers: string[], lowerName: string): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? '';
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) return true;
  }
  return false;
}

function flatHeadersOf(headers: OutgoingHttpHeaders): string[] {
  const flat: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) flat.push(name, item);
    else flat.push(name, String(value));
  }
  return flat;
}
