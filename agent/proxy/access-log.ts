import type { Writable } from 'node:stream';

/** One access-log line, written as JSON. */
export interface AccessLogRecord {
  /** ISO 8601, when the response ended. */
  time: string;
  /** '' when no service routes the request. */
  service: string;
  method: string;
  host: string;
  /** The request path without its query string, which may carry tokens. */
  path: string;
  /** 499 when the client left before the response ended. */
  status: number;
  durationMs: number;
  /** Response body bytes sent. */
  bytes: number;
  /** `ip:port` of the app that answered; '' when the proxy answered itself. */
  target: string;
  requestId: string;
  clientIp: string;
  /** The request headers the service logs (deploy.yml `proxy.logging`), names lowercased. */
  requestHeaders?: Record<string, string>;
  /** The response headers the service logs. */
  responseHeaders?: Record<string, string>;
}

/** Past this much text waiting, lines are written at once rather than at the end of the turn. */
const flushAtBytes = 64 * 1024;

/**
 * Writes one JSON line per request to `stream` (stdout in production). The lines of the requests
 * that end in one event-loop turn go out in one write: under load that is one system call for
 * many requests instead of one each.
 */
export class AccessLog {
  readonly #stream: Writable;
  #pending = '';
  #isFlushScheduled = false;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  write(record: AccessLogRecord): void {
    this.#pending += `${JSON.stringify(record)}\n`;
    if (this.#pending.length >= flushAtBytes) {
      this.#flush();
      return;
    }
    if (this.#isFlushScheduled) return;
    this.#isFlushScheduled = true;
    setImmediate(this.#flushScheduled);
  }

  readonly #flushScheduled = (): void => {
    this.#isFlushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    this.#stream.write(text);
  }
}
