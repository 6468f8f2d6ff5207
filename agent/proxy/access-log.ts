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

/** Writes one JSON line per request to `stream` (stdout in production). */
export class AccessLog {
  readonly #stream: Writable;

  constructor(stream: Writable) {
    this.#stream = stream;
  }

  write(record: AccessLogRecord): void {
    this.#stream.write(`${JSON.stringify(record)}\n`);
  }
}
