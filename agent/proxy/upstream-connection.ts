import { connect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import {
  defaultKeepAliveMs,
  Http1ResponseParser,
  keepAliveHintMs,
} from './http1-response-parser.ts';
import { requestHead, writeRequestBody } from './request-writer.ts';
import type { CallCarrier, UpstreamCall } from './upstream-call.ts';
import { UpstreamError, upstreamSocketError } from './upstream-error.ts';

const connectTimeoutMs = 10_000;

/**
 * Every upstream socket of this process reads into this one buffer (node's `onread`), instead of
 * a new Buffer per read: the parser copies what it keeps (header strings, body chunks) before the
 * read callback returns, so the next read may overwrite it.
 */
const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);

/** What a connection tells its pool. */
export interface ConnectionOwner {
  /** The call ended and the connection can take another. */
  onIdle(connection: UpstreamConnection): void;
  /** The connection is gone; `failedCall` lost it before any response came back. */
  onClosed(connection: UpstreamConnection, failedCall: UpstreamCall | undefined): void;
}

/**
 * One keep-alive HTTP/1.1 connection to an app, carrying one call at a time: writes the request
 * head (and streams the body), parses the response with node's own parser and hands it to the
 * call's sink. The last body chunk that arrives with the end of a response goes out with the
 * end, so a small response costs the client a single write.
 */
export class UpstreamConnection implements CallCarrier {
  readonly #socket: Socket;
  readonly #hostHeader: string;
  readonly #owner: ConnectionOwner;
  readonly #parser: Http1ResponseParser;
  #call: UpstreamCall | undefined;
  #isConnected = false;
  #isClosed = false;
  /** Closed on our side: a call on it fails rather than moving to a new connection. */
  #isDestroyed = false;
  /** Has carried a response before: a failure before any answer may be a stale keep-alive. */
  #hasServed = false;
  #isAwaitingHead = false;
  #isInformational = false;
  #isComplete = false;
  #canKeepAlive = true;
  #heldChunk: Buffer | undefined;
  #isSendingBody = false;
  #stopSendingBody: (() => void) | undefined;
  #headTimer: NodeJS.Timeout | undefined;
  #headTimeoutMs = 0;
  #socketError: Error | undefined;
  keepAliveMs = defaultKeepAliveMs;
  idleSinceMs = 0;

  constructor(host: string, port: number, owner: ConnectionOwner) {
    this.#owner = owner;
    this.#hostHeader = `host: ${host.includes(':') ? `[${host}]` : host}:${port}\r\n`;
    this.#parser = new Http1ResponseParser({
      onHead: (status, message, headers, keepAlive) =>
        this.#onHead(status, message, headers, keepAlive),
      onBody: (chunk) => this.#onBody(chunk),
      onComplete: () => this.#onComplete(),
    });
    const socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: sharedReadBuffer,
        callback: (byteCount) => {
          this.#onData(sharedReadBuffer.subarray(0, byteCount));
          return true;
        },
      },
    });
    this.#socket = socket;
    socket.setTimeout(connectTimeoutMs);
    socket.once('connect', () => {
      this.#isConnected = true;
      socket.setTimeout(0);
      if (this.#call !== undefined) this.#send(this.#call);
    });
    socket.on('timeout', () => {
      const error = Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' });
      socket.destroy(error);
    });
    socket.on('end', () => this.#onEnd());
    socket.on('error', (error) => this.#onSocketError(error));
    socket.on('close', () => this.#onClose());
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Takes `call`; the connection must be idle (or new). */
  start(call: UpstreamCall): void {
    this.#call = call;
    call.carrier = this;
    if (this.#isConnected) this.#send(call);
  }

  resume(): void {
    this.#socket.resume();
  }

  /** The call was abandoned: mid-exchange the connection cannot be reused. */
  abort(): void {
    this.#call = undefined;
    this.destroy();
  }

  destroy(): void {
    this.#isDestroyed = true;
    this.#socket.destroy();
  }

  #send(call: UpstreamCall): void {
    const { request } = call;
    this.#isAwaitingHead = true;
    this.#armHeadTimer(request.responseTimeoutMs);
    this.#socket.write(requestHead(request, this.#hostHeader), 'latin1');
    if (request.body !== null) this.#sendBody(request.body, request.isBodyChunked);
  }

  #sendBody(body: Readable, isChunked: boolean): void {
    this.#isSendingBody = true;
    const stop = writeRequestBody(body, this.#socket, isChunked, {
      onProgress: () => this.#headTimer?.refresh(),
      onEnd: () => {
        this.#stopSendingBody = undefined;
        this.#isSendingBody = false;
        this.#headTimer?.refresh();
      },
      onError: (error) => {
        this.#stopSendingBody = undefined;
        this.#fail(error);
      },
    });
    this.#stopSendingBody = () => {
      stop();
      this.#stopSendingBody = undefined;
    };
  }

  #armHeadTimer(timeoutMs: number): void {
    if (this.#headTimer !== undefined && this.#headTimeoutMs === timeoutMs) {
      this.#headTimer.refresh();
      return;
    }
    if (this.#headTimer !== undefined) clearTimeout(this.#headTimer);
    this.#headTimeoutMs = timeoutMs;
    // One timer per connection, pushed forward per request: cheaper than one per request. It
    // still fires after each exchange, and does nothing unless a head is awaited.
    this.#headTimer = setTimeout(() => this.#onHeadTimeout(), timeoutMs).unref();
  }

  #onHeadTimeout(): void {
    if (!this.#isAwaitingHead || this.#call === undefined) return;
    const seconds = this.#headTimeoutMs / 1000;
    this.#fail(new UpstreamError('timeout', `the app sent no response within ${seconds} s`));
  }

  #onData(data: Buffer): void {
    const call = this.#call;
    if (call === undefined) {
      // Bytes nobody asked for: the connection's framing can no longer be trusted.
      this.destroy();
      return;
    }
    let error: Error | undefined;
    try {
      error = this.#parser.execute(data);
    } catch (thrown) {
      // A sink that throws (a bug) fails this exchange, not the whole proxy process.
      const reason = thrown instanceof Error ? thrown.message : String(thrown);
      this.#fail(new UpstreamError('other', `passing on the response failed: ${reason}`, thrown));
      return;
    }
    if (this.#call !== call) return;
    if (error !== undefined) {
      if (!this.#isComplete) {
        this.#fail(new UpstreamError('other', `the app's response is not valid HTTP/1.1`, error));
        return;
      }
      // Bytes past a complete response, in the same read: it stands, the connection is dropped.
      this.#canKeepAlive = false;
    }
    this.#afterParse(call);
  }

  /** Passes on what one read produced: the held chunk, and the end if the response is done. */
  #afterParse(call: UpstreamCall): void {
    const held = this.#heldChunk;
    this.#heldChunk = undefined;
    if (this.#isComplete) {
      call.sink.onResponseEnd(held);
      if (this.#isSendingBody) {
        // The app answered before reading the whole body: stop sending, do not reuse.
        this.#canKeepAlive = false;
        this.#stopSendingBody?.();
        this.#isSendingBody = false;
      }
      this.#release();
      return;
    }
    if (held !== undefined) this.#deliver(call, held);
  }

  #onHead(
    statusCode: number,
    statusMessage: string,
    rawHeaders: string[],
    shouldKeepAlive: boolean,
  ): boolean {
    const call = this.#call;
    if (call === undefined) return true;
    if (this.#isComplete) {
      // A second response to one request, in the same read: ignored, and the connection dropped.
      this.#canKeepAlive = false;
      return true;
    }
    if (statusCode < 200) {
      // 100 Continue, 103 Early Hints: no use past this hop; the real answer follows.
      this.#isInformational = true;
      return true;
    }
    this.#isAwaitingHead = false;
    this.#canKeepAlive = shouldKeepAlive;
    if (shouldKeepAlive) this.keepAliveMs = keepAliveHintMs(rawHeaders);
    call.sink.onResponseHead(statusCode, statusMessage, rawHeaders);
    return call.request.method === 'HEAD';
  }

  #onBody(chunk: Buffer): void {
    const call = this.#call;
    if (call === undefined || this.#isComplete) return;
    const held = this.#heldChunk;
    this.#heldChunk = chunk;
    if (held !== undefined) this.#deliver(call, held);
  }

  #onComplete(): void {
    if (this.#isInformational) {
      this.#isInformational = false;
      return;
    }
    this.#isComplete = true;
  }

  #deliver(call: UpstreamCall, chunk: Buffer): void {
    if (!call.sink.onResponseData(chunk)) this.#socket.pause();
  }

  /** The response ended (and the body went out): back to the pool, or closed. */
  #release(): void {
    const call = this.#call;
    this.#call = undefined;
    if (call !== undefined) {
      call.isDone = true;
      call.carrier = undefined;
    }
    this.#isComplete = false;
    if (!this.#canKeepAlive) {
      this.destroy();
      return;
    }
    this.#hasServed = true;
    // A sink that was full at the end would otherwise leave the idle connection unread.
    this.#socket.resume();
    this.idleSinceMs = Date.now();
    this.#owner.onIdle(this);
  }

  #onEnd(): void {
    // A response delimited by the connection's close ends here.
    const call = this.#call;
    const error = this.#parser.finish();
    if (call === undefined || this.#call !== call) return;
    if (error === undefined && this.#isComplete) {
      this.#canKeepAlive = false;
      this.#afterParse(call);
    }
  }

  #onSocketError(error: Error): void {
    this.#socketError = error;
  }

  #onClose(): void {
    this.#isClosed = true;
    if (this.#headTimer !== undefined) clearTimeout(this.#headTimer);
    this.#stopSendingBody?.();
    this.#parser.close();
    const call = this.#call;
    this.#call = undefined;
    if (call === undefined || call.isDone) {
      this.#owner.onClosed(this, undefined);
      return;
    }
    call.carrier = undefined;
    const cause = this.#socketError ?? new Error('the app closed the connection');
    const error = upstreamSocketError(cause, this.#isConnected);
    if (this.#isAwaitingHead && this.#hasServed && !this.#isDestroyed && call.isReplayable) {
      this.#owner.onClosed(this, call);
      return;
    }
    call.isDone = true;
    this.#owner.onClosed(this, undefined);
    call.sink.onResponseError(error);
  }

  /** Ends the call with `error` and closes the connection. */
  #fail(error: Error): void {
    const call = this.#call;
    this.#call = undefined;
    this.destroy();
    if (call === undefined || call.isDone) return;
    call.isDone = true;
    call.carrier = undefined;
    call.sink.onResponseError(error);
  }
}
