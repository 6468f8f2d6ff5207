import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../shared/logger.ts';
import { BodyTooLargeError } from './body-limit.ts';
import { addSetCookie } from './canary-split.ts';
import { sendErrorPage, type CustomErrorPages, type ProxyErrorStatus } from './error-pages.ts';
import type { Exchange } from './exchange.ts';
import { stripResponseHopByHop } from './forwarded-headers.ts';
import type { UpstreamErrorKind } from './proxy-metrics.ts';
import type { Upstream } from './upstream.ts';

const clientGone = new Error('client closed the connection');

/** Per-request extras of a forward: bookkeeping, the service's error pages, a cookie to set. */
export interface ForwardContext {
  exchange: Exchange;
  errorPages: CustomErrorPages | undefined;
  /** A Set-Cookie value to add to the response (a new canary client's cookie). */
  setCookie: string | undefined;
}

/**
 * Streams one upstream response to the client, with backpressure both ways, and keeps the
 * upstream's in-flight count exact: `end()` runs once, whatever way the exchange finishes.
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #upstream: Upstream;
  readonly #logger: Logger;
  readonly #context: ForwardContext;
  #controller: Dispatcher.DispatchController | undefined;
  #isFinished = false;
  #isClientGone = false;
  #resume: (() => void) | undefined;

  constructor(res: ServerResponse, upstream: Upstream, logger: Logger, context: ForwardContext) {
    this.#res = res;
    this.#upstream = upstream;
    this.#logger = logger;
    this.#context = context;
    context.exchange.target = upstream.target;
    upstream.begin();
    res.once('close', () => this.#onClientClose());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#isClientGone) controller.abort(clientGone);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // Node answers `100 Continue` itself; other 1xx have no use past this hop.
    if (statusCode < 200) return;
    stripResponseHopByHop(headers);
    const { setCookie } = this.#context;
    if (setCookie !== undefined) addSetCookie(headers, setCookie);
    this.#res.writeHead(statusCode, statusMessage, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#context.exchange.bytes += chunk.length;
    if (this.#res.write(chunk)) return;
    controller.pause();
    this.#resume ??= () => this.#controller?.resume();
    this.#res.once('drain', this.#resume);
  }

  onResponseEnd(): void {
    this.#finish();
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish();
    if (this.#isClientGone) return;
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
    const status = statusForError(error);
    this.#logger.warn(
      { target: this.#upstream.target, status, kind, err: error },
      'upstream request failed',
    );
    exchange.bytes += sendErrorPage(this.#res, status, undefined, { pages: errorPages });
  }

  #onClientClose(): void {
    if (this.#isFinished) return;
    this.#isClientGone = true;
    this.#controller?.abort(clientGone);
  }

  #finish(): void {
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#upstream.end();
  }
}

function statusForError(error: Error): ProxyErrorStatus {
  const code = 'code' in error ? error.code : undefined;
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return 504;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return 400;
  return 502;
}

/** Sorts an upstream failure for the upstream-errors metric. */
export function upstreamErrorKind(error: Error): UpstreamErrorKind {
  const code = 'code' in error ? error.code : undefined;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return 'timeout';
    case 'ECONNREFUSED':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
      return 'connect';
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return 'other';
  }
}
