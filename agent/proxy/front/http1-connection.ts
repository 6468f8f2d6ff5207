import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ClientLimits } from '../client-limits.ts';
import type { ClientRequest, ClientResponse } from '../client-exchange.ts';
import {
  closeLater,
  maxHeaderBytes,
  NativeHttpParser,
  parserMethods,
} from '../native-http-parser.ts';
import { FrontRequest, type BodySource } from './front-request.ts';
import { checkHead } from './head-check.ts';
import { FrontResponse, type ResponseOwner } from './front-response.ts';
import { SocketReader } from './socket-reader.ts';

/** What a connection needs of the front that accepted it. */
export interface ConnectionHost {
  readonly isDraining: boolean;
  onRequest(req: ClientRequest, res: ClientResponse): void;
  onUpgrade(req: ClientRequest, socket: Duplex, head: Buffer): void;
  onHandlerError(error: unknown): void;
  /** The connection closed or was taken over by an upgrade. */
  released(connection: Http1Connection): void;
}

/** A connection being closed gets this long to flush its last response before it is cut. */
const lingerMs = 5_000;

/**
 * One client's HTTP/1.1 connection: requests parsed by llhttp, answered one at a time in
 * order (a pipelined request waits, and reading stops meanwhile), kept alive between requests.
 * The front checks its timeouts on a shared timer; an upgrade hands the socket over.
 */
export class Http1Connection implements BodySource, ResponseOwner {
  readonly socket: Socket;
  readonly #host: ConnectionHost;
  readonly #parser = new NativeHttpParser();
  readonly #reader: SocketReader;
  #earlyHeaders: string[] = [];
  #earlyUrl = '';
  /** The request whose head or body is being read, once its head is in. */
  #reading: FrontRequest | undefined;
  #activeRequest: FrontRequest | undefined;
  #active: FrontResponse | undefined;
  readonly #waiting: { request: FrontRequest; response: FrontResponse }[] = [];
  #upgrade: FrontRequest | undefined;
  /** When the request being read began; 0 between requests. */
  messageBeganAtMs = 0;
  isHeadComplete = false;
  idleSinceMs = Date.now();
  #isBodyBackedUp = false;
  #hasClientEnded = false;
  #isEnding = false;
  isClosed = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #isReleased = false;

  constructor(socket: Socket, host: ConnectionHost) {
    this.socket = socket;
    this.#host = host;
    const parser = this.#parser;
    parser.initialize(NativeHttpParser.REQUEST, {}, maxHeaderBytes, NativeHttpParser.kLenientNone);
    parser[NativeHttpParser.kOnMessageBegin] = this.#onMessageBegin;
    parser[NativeHttpParser.kOnHeaders] = this.#onHeaders;
    parser[NativeHttpParser.kOnHeadersComplete] = this.#onHeadersComplete;
    parser[NativeHttpParser.kOnBody] = this.#onBody;
    parser[NativeHttpParser.kOnMessageComplete] = this.#onMessageComplete;
    this.#reader = new SocketReader(socket, parser, this.#onRead);
    socket.on('end', this.#onEnd);
    socket.on('drain', this.#onDrain);
    socket.on('error', this.#onError);
    socket.once('close', this.#onClose);
  }

  get isDraining(): boolean {
    return this.#host.isDraining;
  }

  /** No request is being read or answered. */
  get isIdle(): boolean {
    return this.messageBeganAtMs === 0 && this.#active === undefined && !this.#isEnding;
  }

  /** Applies the header, request and keep-alive timeouts as of `nowMs`. */
  checkTimeouts(nowMs: number, limits: ClientLimits): void {
    if (this.isClosed || this.#isEnding) return;
    if (this.messageBeganAtMs !== 0) {
      const limitMs = this.isHeadComplete ? limits.requestTimeoutMs : limits.headersTimeoutMs;
      if (nowMs - this.messageBeganAtMs >= limitMs) this.#timeOut();
      return;
    }
    if (this.isIdle && nowMs - this.idleSinceMs >= limits.keepAliveTimeoutMs) this.destroy();
  }

  destroy(): void {
    this.socket.destroy();
  }

  send(data: Buffer | string): boolean {
    if (this.#isEnding || this.isClosed) return false;
    return typeof data === 'string' ? this.socket.write(data, 'latin1') : this.socket.write(data);
  }

  cut(): void {
    this.socket.destroy();
  }

  finished(response: FrontResponse, keepAlive: boolean): void {
    const request = this.#activeRequest;
    this.#active = undefined;
    this.#activeRequest = undefined;
    process.nextTick(emitClose, response);
    if (!keepAlive || this.#isEnding) {
      this.#endAfterWrite();
      return;
    }
    if (request !== undefined && !request.isComplete) request.discardBody();
    // Reading may have stopped for a body its handler never took, even one read to its end:
    // nobody will take it now, so the next request must be read.
    if (this.#isBodyBackedUp) this.resumeReading();
    const next = this.#waiting.shift();
    if (next !== undefined) {
      this.#start(next.request, next.response);
      this.#updateReading();
      return;
    }
    this.idleSinceMs = Date.now();
    if (this.#hasClientEnded) this.#endAfterWrite();
    else this.#updateReading();
  }

  pauseReading(): void {
    this.#isBodyBackedUp = true;
    this.#reader.stop();
  }

  resumeReading(): void {
    this.#isBodyBackedUp = false;
    this.#updateReading();
  }

  #updateReading(): void {
    if (this.#isBodyBackedUp || this.#waiting.length > 0 || this.#upgrade !== undefined) return;
    this.#reader.start();
  }

  readonly #onRead = (result: number | Error, data: Buffer | undefined): void => {
    if (this.#isEnding || this.isClosed) return;
    if (typeof result !== 'number') {
      this.#onParseError(result);
      return;
    }
    if (this.#upgrade !== undefined) {
      this.#takeOver(this.#upgrade, this.#reader.restOfRead(data, result));
    }
  };

  readonly #onMessageBegin = (): void => {
    this.messageBeganAtMs = Date.now();
    this.isHeadComplete = false;
  };

  readonly #onHeaders = (headers: string[], url: string): void => {
    for (const item of headers) this.#earlyHeaders.push(item);
    this.#earlyUrl += url;
  };

  readonly #onHeadersComplete = (
    _versionMajor: number,
    versionMinor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _statusCode: undefined,
    _statusMessage: undefined,
    isUpgrade: boolean,
    shouldKeepAlive: boolean,
  ): number => {
    this.isHeadComplete = true;
    let rawHeaders = headers;
    if (rawHeaders === undefined) {
      rawHeaders = this.#earlyHeaders;
      this.#earlyHeaders = [];
    }
    let target = url;
    if (!target) {
      target = this.#earlyUrl;
      this.#earlyUrl = '';
    }
    const request = new FrontRequest(this.socket, this, {
      method: parserMethods[method] ?? 'GET',
      url: target,
      rawHeaders,
      httpMinorVersion: versionMinor,
      shouldKeepAlive,
    });
    if (this.isClosed || this.#isEnding) return 0;
    if (isUpgrade) {
      this.#upgrade = request;
      return 0;
    }
    this.#reading = request;
    const response = new FrontResponse(request, this);
    if (this.#active === undefined) {
      this.#start(request, response);
    } else {
      this.#waiting.push({ request, response });
      this.#reader.stop();
    }
    return 0;
  };

  readonly #onBody = (chunk: Buffer): void => {
    this.#reading?.receive(chunk);
  };

  readonly #onMessageComplete = (): void => {
    this.messageBeganAtMs = 0;
    const request = this.#reading;
    this.#reading = undefined;
    request?.complete();
  };

  #start(request: FrontRequest, response: FrontResponse): void {
    this.#active = response;
    this.#activeRequest = request;
    const expectation = checkHead(request);
    if (expectation === 'no-host') {
      response.writeHead(400, { 'content-length': 0, connection: 'close' }).end();
      return;
    }
    if (expectation === 'unmet') {
      response.writeHead(417, { 'content-length': 0, connection: 'close' }).end();
      return;
    }
    if (expectation === 'continue') this.send('HTTP/1.1 100 Continue\r\n\r\n');
    try {
      this.#host.onRequest(request, response);
    } catch (error) {
      this.#host.onHandlerError(error);
      this.socket.destroy();
    }
  }

  /** The client sent something that is not HTTP/1.1: 400 (431 for an oversized head), close. */
  #onParseError(error: Error): void {
    const code = (error as { code?: string }).code;
    // Bytes after a request that asked to close: they are not read, and its answer goes on.
    if (code === 'HPE_CLOSED_CONNECTION') return;
    if (this.#active !== undefined) {
      this.socket.destroy();
      return;
    }
    const status =
      code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    this.socket.write(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    this.#endAfterWrite();
  }

  /** A request (head or body) overran its time: 408 unless its answer has begun, then close. */
  #timeOut(): void {
    if (this.#active?.headersSent === true) {
      this.socket.destroy();
      return;
    }
    this.socket.write(
      'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    );
    this.#endAfterWrite();
  }

  #takeOver(request: FrontRequest, head: Buffer): void {
    this.#upgrade = undefined;
    this.messageBeganAtMs = 0;
    if (this.#active !== undefined) {
      // An upgrade pipelined behind a request still being answered: not worth supporting.
      this.socket.destroy();
      return;
    }
    this.#reader.release();
    this.#release();
    const { socket } = this;
    socket.off('end', this.#onEnd);
    socket.off('drain', this.#onDrain);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
    // CONNECT is not proxied; an HTTP/1.1 upgrade without Host gets 400, as any request does.
    const refusal =
      request.method === 'CONNECT'
        ? '405 Method Not Allowed'
        : checkHead(request) === 'no-host'
          ? '400 Bad Request'
          : undefined;
    if (refusal !== undefined) {
      socket.resume();
      socket.on('error', () => socket.destroy());
      socket.end(`HTTP/1.1 ${refusal}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    // Neither flowing nor paused: what the client sends next waits in the socket until the
    // handler reads it (it may first wait for the app's 101), as node:http leaves it.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    this.#host.onUpgrade(request, socket, head);
  }

  /** Sends what is queued, then closes; a client that does not close its side is cut later. */
  #endAfterWrite(): void {
    if (this.#isEnding) return;
    this.#isEnding = true;
    this.socket.end();
    this.#lingerTimer = setTimeout(() => this.socket.destroy(), lingerMs).unref();
  }

  readonly #onEnd = (): void => {
    this.#hasClientEnded = true;
    // A body the client stopped sending can never end: cut, so its reader sees the abort now
    // rather than at the request timeout.
    if (this.#reading?.isDiscarding === false) this.destroy();
    else if (this.#active === undefined && this.#waiting.length === 0) this.#endAfterWrite();
  };

  readonly #onDrain = (): void => {
    this.#active?.emit('drain');
  };

  readonly #onError = (): void => {
    this.socket.destroy();
  };

  readonly #onClose = (): void => {
    this.isClosed = true;
    clearTimeout(this.#lingerTimer);
    this.#release();
    this.#reading?.abort();
    if (this.#active !== undefined) process.nextTick(emitClose, this.#active);
    for (const { response } of this.#waiting.splice(0)) process.nextTick(emitClose, response);
    this.#active = undefined;
    this.#activeRequest = undefined;
  };

  #release(): void {
    if (this.#isReleased) return;
    this.#isReleased = true;
    closeLater(this.#parser);
    this.#host.released(this);
  }
}

function emitClose(response: FrontResponse): void {
  response.emit('close');
}
