import { randomUUID } from 'node:crypto';
import type { AccessLog, AccessLogRecord } from './access-log.ts';
import type { ClientRequest, ClientResponse } from './client-exchange.ts';
import { clientIpOf, type RequestHead } from './forwarded-headers.ts';
import { unroutedService, type ProxyMetrics, type ServiceMetrics } from './proxy-metrics.ts';
import type { LoggedHeaders } from './service-policy.ts';

/** Status logged for a client that left before its response ended (as nginx and kamal-proxy). */
const clientClosedStatus = 499;

/** One request's bookkeeping: which service took it, which app answered, bytes sent. */
export class Exchange {
  readonly startedAtMs = performance.now();
  /** The Host the request was routed by. */
  host: string | undefined;
  metrics: ServiceMetrics | undefined;
  /** What went to the app; none when the proxy answered itself. */
  requestHead: RequestHead | undefined;
  target = '';
  bytes = 0;
  /** What the routed service asks the access log to record. */
  loggedHeaders: LoggedHeaders | undefined;
  /** The app's response head, kept only when headers of it are logged. */
  responseRawHeaders: string[] | undefined;

  constructor(host: string | undefined) {
    this.host = host;
  }

  /** Counts the request as in flight for `metrics`' service; later calls change nothing. */
  routedTo(metrics: ServiceMetrics): void {
    if (this.metrics !== undefined) return;
    this.metrics = metrics;
    metrics.begin();
  }
}

/**
 * Records every exchange when its response closes: metrics always, the access log when on.
 * With the log off, a request costs one Exchange and one close listener.
 */
export class ExchangeRecorder {
  readonly #unrouted: ServiceMetrics;
  readonly #accessLog: AccessLog | undefined;

  constructor(metrics: ProxyMetrics, accessLog: AccessLog | undefined) {
    this.#unrouted = metrics.forService(unroutedService);
    this.#accessLog = accessLog;
  }

  start(req: ClientRequest, res: ClientResponse, host: string | undefined): Exchange {
    const exchange = new Exchange(host);
    res.once('close', () => this.#finish(exchange, req, res));
    return exchange;
  }

  #finish(exchange: Exchange, req: ClientRequest, res: ClientResponse): void {
    exchange.routedTo(this.#unrouted);
    const metrics = exchange.metrics ?? this.#unrouted;
    const status = res.writableFinished ? res.statusCode : clientClosedStatus;
    const durationMs = performance.now() - exchange.startedAtMs;
    metrics.end(status, durationMs / 1000);
    if (this.#accessLog === undefined) return;
    const url = req.url;
    const query = url.indexOf('?');
    this.#accessLog.write({
      time: new Date().toISOString(),
      service: metrics === this.#unrouted ? '' : metrics.service,
      method: req.method,
      host: exchange.host ?? '',
      path: query === -1 ? url : url.slice(0, query),
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytes: exchange.bytes,
      target: exchange.target,
      requestId: requestIdOf(exchange, req.rawHeaders),
      clientIp: clientIpOf(req.socket.remoteAddress),
      ...loggedHeaderFields(exchange, req.rawHeaders),
    });
  }
}

/**
 * The X-Request-ID the proxy forwarded (kept from the client or made up, so last in its head);
 * for a request the proxy answered itself, the client's or a new one.
 */
function requestIdOf(exchange: Exchange, rawHeaders: string[]): string {
  const headers = exchange.requestHead?.headers;
  if (headers !== undefined) {
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if (headers[i] === 'x-request-id') return headers[i + 1] ?? '';
    }
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() === 'x-request-id') return rawHeaders[i + 1] ?? '';
  }
  return randomUUID();
}

/** The headers the service asks for, each present only when the message had it. */
function loggedHeaderFields(
  exchange: Exchange,
  requestRawHeaders: string[],
): Pick<AccessLogRecord, 'requestHeaders' | 'responseHeaders'> {
  const logged = exchange.loggedHeaders;
  if (logged === undefined) return {};
  const requestHeaders = pickHeaders(requestRawHeaders, logged.request);
  const responseHeaders = pickHeaders(exchange.responseRawHeaders ?? [], logged.response);
  return {
    ...(requestHeaders === undefined ? {} : { requestHeaders }),
    ...(responseHeaders === undefined ? {} : { responseHeaders }),
  };
}

/** `names` (lowercase) found in `rawHeaders`, repeats joined with ", "; undefined when none. */
function pickHeaders(
  rawHeaders: string[],
  names: readonly string[],
): Record<string, string> | undefined {
  if (names.length === 0) return undefined;
  let picked: Record<string, string> | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    if (!names.includes(name)) continue;
    picked ??= {};
    const value = rawHeaders[i + 1] ?? '';
    picked[name] = picked[name] === undefined ? value : `${picked[name]}, ${value}`;
  }
  return picked;
}
