import type { ClientResponse } from './client-exchange.ts';
import type { Logger } from '../../shared/logger.ts';
import { BodyTooLargeError } from './body-limit.ts';
import { sendErrorPage, type CustomErrorPages } from './error-pages.ts';
import type { Exchange } from './exchange.ts';
import { responseHeadersToForward } from './forwarded-headers.ts';
import type { UpstreamErrorKind } from './proxy-metrics.ts';
import type { ResponseSink, UpstreamCall, UpstreamRequest } from './upstream-call.ts';
import { UpstreamError } from './upstream-error.ts';
import type { Upstream } from './upstream.ts';

/** Per-request extras of a forward: bookkeeping, the service's error pages, a cookie to set. */
export interface ForwardContext {
  exchange: Exchange;
  errorPages: CustomErrorPages | undefined;
  /** A Set-Cookie value to add to the response (a new canary client's cookie). */
  setCookie: string | undefined;
}

/**
 * Sends one request to `upstream` and streams its response to the client, with backpressure
 * both ways, and keeps the upstream's in-flight count exact: `end()` runs once, whatever way
 * the exchange finishes.
 */
export function forwardTo(
  upstream: Upstream,
  request: UpstreamRequest,
  res: ClientResponse,
  logger: Logger,
  context: ForwardContext,
): void {
  const handler = new ForwardHandler(res, upstream, logger, context);
  handler.call = upstream.pool.request(request, handler);
}

class ForwardHandler implements ResponseSink {
  readonly #res: ClientResponse;
  readonly #upstream: Upstream;
  readonly #logger: Logger;
  readonly #context: ForwardContext;
  call: UpstreamCall | undefined;
  #isFinished = false;
  #resume: (() => void) | undefined;

  constructor(res: ClientResponse, upstream: Upstream, logger: Logger, context: ForwardContext) {
    this.#res = res;
    this.#upstream = upstream;
    this.#logger = logger;
    this.#context = context;
    context.exchange.target = upstream.target;
    upstream.begin();
    res.once('close', () => this.#onClientClose());
  }

  onResponseHead(statusCode: number, statusMessage: string, rawHeaders: string[]): void {
    const { exchange } = this.#context;
    if (exchange.loggedHeaders?.response.length) exchange.responseRawHeaders = rawHeaders;
    const headers = responseHeadersToForward(rawHeaders);
    const { setCookie } = this.#context;
    if (setCookie !== undefined) headers.push('set-cookie', setCookie);
    try {
      this.#res.writeHead(statusCode, statusMessage, headers);
    } catch (error) {
      // A head node:http will not send (HTTP/2 forbids some headers): the client gets 502.
      this.call?.abort();
      for (let i = 0; i < headers.length; i += 2) this.#res.removeHeader(headers[i] ?? '');
      const reason = error instanceof Error ? error.message : String(error);
      this.onResponseError(new UpstreamError('other', `the app's response head: ${reason}`));
    }
  }

  onResponseData(chunk: Buffer): boolean {
    this.#context.exchange.bytes += chunk.length;
    if (this.#res.write(chunk)) return true;
    this.#resume ??= () => this.call?.resume();
    this.#res.once('drain', this.#resume);
    return false;
  }

  onResponseEnd(lastChunk: Buffer | undefined): void {
    this.#finish();
    if (lastChunk === undefined) {
      this.#res.end();
      return;
    }
    this.#context.exchange.bytes += lastChunk.length;
    this.#res.end(lastChunk);
  }

  onResponseError(error: Error): void {
    this.#finish();
    if (this.#res.destroyed) return;
    const { exchange, errorPages } = this.#context;
    if (error instanceof BodyTooLargeError) {
      exchange.bytes += sendErrorPage(this.#res, 413, undefined, { pages: errorPages });
      return;
    }
    const kind = upstreamErrorKind(error);
    exchange.metrics?.upstreamError(kind);
    if (this.#res.headersSent) {
      this.#res.destroy(error);
      return;
    }
    const isAppFailure = error instanceof UpstreamError;
    const status = isAppFailure ? error.status : 502;
    // An app that is down fails every request: one short line each, not a stack trace each.
    this.#logger.warn(
      {
        target: this.#upstream.target,
        status,
        kind,
        ...(isAppFailure ? { error: error.message } : { err: error }),
      },
      'upstream request failed',
    );
    exchange.bytes += sendErrorPage(this.#res, status, undefined, { pages: errorPages });
  }

  #onClientClose(): void {
    if (this.#isFinished) return;
    this.#finish();
    this.call?.abort();
  }

  #finish(): void {
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#upstream.end();
  }
}

/** Sorts an upstream failure for the upstream-errors metric. */
export function upstreamErrorKind(error: Error): UpstreamErrorKind {
  return error instanceof UpstreamError ? error.kind : 'other';
}
