import { closeLater, maxHeaderBytes, NativeHttpParser } from './native-http-parser.ts';
/** What the parser reports while it reads one response after another off a connection. */
export interface ResponseParserEvents {
  /**
   * The head of a response. Return true when it has no body whatever its headers say (the
   * answer to a HEAD request).
   */
  onHead(
    statusCode: number,
    statusMessage: string,
    rawHeaders: string[],
    shouldKeepAlive: boolean,
  ): boolean;
  onBody(chunk: Buffer): void;
  onComplete(): void;
}

/**
 * One connection's response parser: feed it what the socket reads, it calls back per response.
 * Bodies arrive de-chunked. A response without length ends at `finish()` (the socket's EOF).
 */
export class Http1ResponseParser {
  readonly #native = new NativeHttpParser();
  /** Headers llhttp handed over early: a head spread over several reads. */
  #earlyHeaders: string[] = [];

  constructor(events: ResponseParserEvents) {
    const native = this.#native;
    native.initialize(NativeHttpParser.RESPONSE, {}, maxHeaderBytes, NativeHttpParser.kLenientNone);
    native[NativeHttpParser.kOnHeaders] = (headers: string[]): void => {
      for (const item of headers) this.#earlyHeaders.push(item);
    };
    native[NativeHttpParser.kOnHeadersComplete] = (
      _versionMajor: number,
      _versionMinor: number,
      headers: string[] | undefined,
      _method: undefined,
      _url: undefined,
      statusCode: number,
      statusMessage: string,
      _upgrade: boolean,
      shouldKeepAlive: boolean,
    ): number => {
      let rawHeaders = headers;
      if (rawHeaders === undefined) {
        rawHeaders = this.#earlyHeaders;
        this.#earlyHeaders = [];
      }
      // 1: llhttp reads no body for this response.
      return events.onHead(statusCode, statusMessage, rawHeaders, shouldKeepAlive) ? 1 : 0;
    };
    native[NativeHttpParser.kOnBody] = (chunk: Buffer): void => events.onBody(chunk);
    native[NativeHttpParser.kOnMessageComplete] = (): void => events.onComplete();
  }

  /** Parses what was read; an Error when the bytes are not HTTP/1.1. */
  execute(data: Buffer): Error | undefined {
    const result = this.#native.execute(data);
    return typeof result === 'number' ? undefined : result;
  }

  /** The socket ended: completes a response delimited by the close, or reports a cut one. */
  finish(): Error | undefined {
    return this.#native.finish();
  }

  /** Frees the native parser, once the stack holding any of its callbacks has unwound. */
  close(): void {
    closeLater(this.#native);
  }
}

/** As undici's default: an idle connection is dropped after this long unless the app says more. */
export const defaultKeepAliveMs = 4_000;
/** Taken off the app's own `Keep-Alive: timeout=N`, so we never reuse a connection it is closing. */
const keepAliveMarginMs = 1_000;

/** The idle time the app allows (`Keep-Alive: timeout=5`), less a margin, or the default. */
export function keepAliveHintMs(rawHeaders: string[]): number {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (name.length !== 10 || name.toLowerCase() !== 'keep-alive') continue;
    const match = /timeout=(\d+)/i.exec(rawHeaders[i + 1] ?? '');
    if (match === null) return defaultKeepAliveMs;
    return Math.max(Number(match[1]) * 1000 - keepAliveMarginMs, 0);
  }
  return defaultKeepAliveMs;
}
