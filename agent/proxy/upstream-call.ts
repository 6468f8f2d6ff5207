import type { Readable } from 'node:stream';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** One request for an app, ready to write: the proxy's rewritten head and the client's body. */
export interface UpstreamRequest {
  method: string;
  path: string;
  /** Flat `[name, value, …]`, hop-by-hop headers already gone. */
  headers: string[];
  /** The headers carry a Host; without one (an HTTP/1.0 client) the app's address is sent. */
  hasHost: boolean;
  /** The client's body, or null for none. */
  body: Readable | null;
  /** The body has no Content-Length, so it goes as `Transfer-Encoding: chunked`. */
  isBodyChunked: boolean;
  /** How long the app may take to send its response head (504 past it). */
  responseTimeoutMs: number;
}

/** Where a call delivers the app's response; the proxy's client-facing side. */
export interface ResponseSink {
  /** Hop-by-hop headers are still in `rawHeaders`; the sink strips them. */
  onResponseHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void;
  /** Returns false to stop reading from the app until the call is resumed. */
  onResponseData(chunk: Buffer): boolean;
  /** The response ended; `lastChunk` is its final piece of body, if one arrived with the end. */
  onResponseEnd(lastChunk: Buffer | undefined): void;
  /** The exchange failed; after a head was delivered the response is cut short. */
  onResponseError(error: Error): void;
}

/** The connection a call runs on, as far as the call needs it. */
export interface CallCarrier {
  resume(): void;
  abort(): void;
}

/**
 * One request in flight: which connection carries it (it may move once, to a fresh connection,
 * when a reused keep-alive connection turns out closed before anything came back), and the
 * handle the client side holds to pause, resume or abandon it.
 */
export class UpstreamCall {
  readonly request: UpstreamRequest;
  readonly sink: ResponseSink;
  carrier: CallCarrier | undefined;
  /** Set once the call moved to a fresh connection; it never moves twice. */
  wasRetried = false;
  isDone = false;

  constructor(request: UpstreamRequest, sink: ResponseSink) {
    this.request = request;
    this.sink = sink;
  }

  /**
   * Whether the call may be sent again after its connection failed before anything came back:
   * once, without a body, and only for methods that change nothing (as Go's http.Transport).
   */
  get isReplayable(): boolean {
    return !this.wasRetried && this.request.body === null && safeMethods.has(this.request.method);
  }

  /** Reads from the app again after `onResponseData` returned false. */
  resume(): void {
    this.carrier?.resume();
  }

  /** The client left: the connection is closed (mid-response it cannot be reused). */
  abort(): void {
    if (this.isDone) return;
    this.isDone = true;
    this.carrier?.abort();
  }
}
