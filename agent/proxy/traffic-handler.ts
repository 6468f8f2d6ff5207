import type { Readable } from 'node:stream';
import type { Logger } from '../../shared/logger.ts';
import type { AccessLog } from './access-log.ts';
import type { ClientRequest, ClientRequestListener, ClientResponse } from './client-exchange.ts';
import { BodyTooLargeError, limitedBody } from './body-limit.ts';
import { chooseUpstream } from './canary-split.ts';
import { maintenanceReason, sendErrorPage } from './error-pages.ts';
import { ExchangeRecorder, type Exchange } from './exchange.ts';
import { forwardTo } from './forward-handler.ts';
import {
  clientConnectionOf,
  forwardedRequestHead,
  hostHeaderOf,
  type RequestHead,
} from './forwarded-headers.ts';
import type { ProxyMetrics } from './proxy-metrics.ts';
import { bodyStreamOf, bufferRequestBody, type BufferedBody } from './request-buffer.ts';
import { upstreamPath, type RouteEntry, type RouteTable } from './route-table.ts';
import { gateFor, type ServicePolicy } from './service-policy.ts';
import type { Upstream } from './upstream.ts';

/**
 * Where the handler reads the live routing table and the per-service policies; a change
 * replaces both in one synchronous step, so a request never sees a mix.
 */
export interface RouteTableSource {
  readonly table: RouteTable<Upstream>;
  readonly policies: ReadonlyMap<string, ServicePolicy>;
  readonly metrics: ProxyMetrics;
}

export interface TrafficOptions {
  /** One JSON line per request; none when absent. */
  accessLog?: AccessLog;
}

/** A client request once its head is read, and where it goes. */
interface RoutedRequest {
  req: ClientRequest;
  res: ClientResponse;
  host: string | undefined;
  url: string;
  exchange: Exchange;
  /** The body, once read ahead for a route that buffers requests. */
  buffered?: BufferedBody;
}

/**
 * The client-facing request listener: route by Host and path, apply the service's controls
 * (maintenance, pause, body limit, canary), then stream to the target. The table is read once
 * per request (again after a pause), so a request keeps the target it was routed to even if
 * a switch happens while it is in flight.
 */
export function createTrafficHandler(
  routes: RouteTableSource,
  logger: Logger,
  options: TrafficOptions = {},
): ClientRequestListener {
  const recorder = new ExchangeRecorder(routes.metrics, options.accessLog);

  return (req, res) => {
    let url = req.url;
    let host = hostHeaderOf(req.rawHeaders);
    const exchange = recorder.start(req, res, host);
    if (url.charCodeAt(0) !== 47) {
      const absolute = parseAbsoluteForm(url);
      if (absolute === undefined) {
        exchange.bytes += sendErrorPage(res, 400);
        return;
      }
      url = absolute.path;
      host = absolute.host;
      exchange.host = host;
    }
    serve({ req, res, host, url, exchange });
  };

  function serve(request: RoutedRequest): void {
    const { req, res, host, url, exchange } = request;
    const entry = routes.table.match(host, url);
    if (entry === undefined) {
      exchange.bytes += sendErrorPage(res, 404, host);
      return;
    }
    const policy = routes.policies.get(entry.service);
    if (policy === undefined) {
      const head = forwardedRequestHead(req.rawHeaders, clientConnectionOf(req, undefined));
      forward(request, entry, entry.upstream, undefined, head);
      return;
    }
    exchange.routedTo(policy.metrics);
    exchange.loggedHeaders = policy.loggedHeaders;
    const pages = policy.errorPages;
    switch (gateFor(policy, req.method, upstreamPath(entry, url))) {
      case 'health':
        exchange.bytes += answerHealthy(res, req.method === 'HEAD');
        return;
      case 'maintenance': {
        const message = policy.maintenanceMessage || maintenanceReason;
        exchange.bytes += sendErrorPage(res, 503, undefined, { message, pages });
        return;
      }
      case 'hold':
        holdThenServe(request, policy);
        return;
      case 'forward':
        break;
    }
    const head = forwardedRequestHead(req.rawHeaders, clientConnectionOf(req, policy));
    const maxBodyBytes = policy.maxRequestBodyBytes;
    if (maxBodyBytes !== 0 && head.declaredBodyBytes > maxBodyBytes) {
      exchange.bytes += sendErrorPage(res, 413, undefined, { pages });
      return;
    }
    const buffering = policy.requestBuffering;
    if (buffering !== undefined && request.buffered === undefined && head.body !== 'none') {
      bufferThenServe(request, policy, head, buffering.memoryBytes);
      return;
    }
    // Only a canary needs the cookie: reading req.headers builds the whole headers object.
    const cookie = policy.canary === undefined ? undefined : req.headers.cookie;
    const choice = chooseUpstream(entry.upstream, policy.canary, cookie);
    forward(request, entry, choice.upstream, policy, head, choice.setCookie);
  }

  /** Reads the body ahead, then routes afresh (a deploy may have switched the app meanwhile). */
  function bufferThenServe(
    request: RoutedRequest,
    policy: ServicePolicy,
    head: RequestHead,
    memoryBytes: number,
  ): void {
    const { req, res, exchange } = request;
    const body = limitedBody(req.body, head.body, policy.maxRequestBodyBytes);
    bufferRequestBody(body, memoryBytes).then(
      (buffered) => {
        if (!res.destroyed) serve({ ...request, buffered });
      },
      (error: unknown) => {
        if (res.destroyed || res.headersSent) return;
        const status = error instanceof BodyTooLargeError ? 413 : 400;
        exchange.bytes += sendErrorPage(res, status, undefined, { pages: policy.errorPages });
      },
    );
  }

  /** Waits for resume (then routes afresh: the app may have changed) or answers 504. */
  function holdThenServe(request: RoutedRequest, policy: ServicePolicy): void {
    const { res, exchange } = request;
    const pages = policy.errorPages;
    const cancel = policy.pause?.hold((outcome) => {
      if (cancel !== undefined) res.off('close', cancel);
      if (outcome === 'resumed') {
        serve(request);
        return;
      }
      logger.info({ service: policy.metrics.service }, 'held request expired: paused too long');
      exchange.bytes += sendErrorPage(res, 504, undefined, { pages });
    });
    if (cancel === undefined) {
      exchange.bytes += sendErrorPage(res, 503, undefined, { pages });
      return;
    }
    res.once('close', cancel);
  }

  function forward(
    request: RoutedRequest,
    entry: RouteEntry<Upstream>,
    upstream: Upstream | null,
    policy: ServicePolicy | undefined,
    head: RequestHead,
    setCookie?: string,
  ): void {
    const { req, res, url, exchange } = request;
    const errorPages = policy?.errorPages;
    if (upstream === null) {
      exchange.bytes += sendErrorPage(res, 503, undefined, { pages: errorPages });
      return;
    }
    exchange.requestHead = head;
    let body: Readable | null = null;
    let isBodyChunked = head.body === 'chunked';
    const { buffered } = request;
    if (buffered === undefined) {
      const maxBytes = policy?.maxRequestBodyBytes ?? 0;
      if (head.body !== 'none') body = limitedBody(req.body, head.body, maxBytes);
    } else if (!buffered.isWhole) {
      body = buffered.body;
    } else {
      // The whole body is here: the app gets its length, even for a chunked request.
      if (buffered.data.length > 0) body = bodyStreamOf(buffered.data);
      if (isBodyChunked) head.headers.push('content-length', String(buffered.data.length));
      isBodyChunked = false;
    }
    const upstreamRequest = {
      method: req.method,
      path: upstreamPath(entry, url),
      headers: head.headers,
      hasHost: head.host !== undefined,
      body,
      isBodyChunked,
      responseTimeoutMs: entry.responseTimeoutMs,
    };
    forwardTo(upstream, upstreamRequest, res, logger, { exchange, errorPages, setCookie });
  }
}

/** The proxy's own answer to a health check while the app is held back; returns body bytes. */
function answerHealthy(res: ClientResponse, isHead: boolean): number {
  const body = 'OK';
  res.writeHead(200, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(isHead ? undefined : body);
  return isHead ? 0 : body.length;
}

/** `GET http://host/path HTTP/1.1` (absolute form): the URL's host wins over the Host header. */
function parseAbsoluteForm(url: string): { host: string; path: string } | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return { host: parsed.host, path: `${parsed.pathname}${parsed.search}` };
}
