import { UpstreamCall, type ResponseSink, type UpstreamRequest } from './upstream-call.ts';
import { UpstreamConnection, type ConnectionOwner } from './upstream-connection.ts';

/** How often idle connections past their keep-alive time are closed. */
const sweepIntervalMs = 2_000;

/**
 * Keep-alive HTTP/1.1 connections to one app (`host:port`), one request per connection at a
 * time, as many connections as requests in flight. The most recently used idle connection is
 * taken first, so a quiet period lets the others expire. A request that finds its reused
 * connection closed by the app before any answer is sent again once on a new connection, when
 * its method changes nothing.
 */
export class UpstreamPool implements ConnectionOwner {
  readonly #host: string;
  readonly #port: number;
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();
  readonly #sweeper: NodeJS.Timeout;
  #isClosing = false;
  readonly #emptyWaiters: (() => void)[] = [];

  constructor(target: string) {
    const { host, port } = parseTarget(target);
    this.#host = host;
    this.#port = port;
    this.#sweeper = setInterval(() => this.#closeExpired(Date.now()), sweepIntervalMs).unref();
  }

  /** Sends `request`; the response goes to `sink`. The call is the handle to abort or resume. */
  request(request: UpstreamRequest, sink: ResponseSink): UpstreamCall {
    const call = new UpstreamCall(request, sink);
    this.#take().start(call);
    return call;
  }

  get connectionCount(): number {
    return this.#all.size;
  }

  onIdle(connection: UpstreamConnection): void {
    if (this.#isClosing) {
      connection.destroy();
      return;
    }
    this.#idle.push(connection);
  }

  onClosed(connection: UpstreamConnection, failedCall: UpstreamCall | undefined): void {
    this.#all.delete(connection);
    if (failedCall !== undefined) {
      failedCall.wasRetried = true;
      this.#open().start(failedCall);
    }
    if (this.#all.size === 0) for (const resolve of this.#emptyWaiters.splice(0)) resolve();
  }

  /** Closes idle connections now and the others as their requests end. */
  close(): Promise<void> {
    this.#isClosing = true;
    clearInterval(this.#sweeper);
    for (const connection of this.#idle.splice(0)) connection.destroy();
    return this.#whenEmpty();
  }

  /** Closes every connection, cutting whatever is in flight. */
  destroy(): Promise<void> {
    this.#isClosing = true;
    clearInterval(this.#sweeper);
    this.#idle.length = 0;
    for (const connection of this.#all) connection.destroy();
    return this.#whenEmpty();
  }

  #whenEmpty(): Promise<void> {
    if (this.#all.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#emptyWaiters.push(resolve));
  }

  #take(): UpstreamConnection {
    const now = Date.now();
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined) return this.#open();
      if (connection.isClosed) continue;
      if (now - connection.idleSinceMs < connection.keepAliveMs) return connection;
      connection.destroy();
    }
  }

  #open(): UpstreamConnection {
    const connection = new UpstreamConnection(this.#host, this.#port, this);
    this.#all.add(connection);
    return connection;
  }

  #closeExpired(now: number): void {
    let kept = 0;
    for (const connection of this.#idle) {
      if (connection.isClosed) continue;
      if (now - connection.idleSinceMs >= connection.keepAliveMs) connection.destroy();
      else this.#idle[kept++] = connection;
    }
    this.#idle.length = kept;
  }
}

/** `127.0.0.1:3000`, `[::1]:3000` or `app.internal:3000` as host and port. */
export function parseTarget(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  const port = Number(target.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`target ${JSON.stringify(target)} is not host:port`);
  }
  const host = target.slice(0, colon);
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port };
}
