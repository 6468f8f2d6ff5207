import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../shared/logger.ts';
import { sendErrorPage, type ProxyErrorStatus } from './error-pages.ts';
import { stripResponseHopByHop } from './forwarded-headers.ts';
import type { Upstream } from './upstream.ts';

const clientGone = new Error('client closed the connection');

/**
 * Streams one upstream response to the client, with backpressure both ways, and keeps the
 * upstream's in-flight count exact: `end()` runs once, whatever way the exchange finishes.
 */
export class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  readonly #upstream: Upstream;
  readonly #logger: Logger;
  #controller: Dispatcher.DispatchController | undefined;
  #isFinished = false;
  #isClientGone = false;
  #resume: (() => void) | undefined;

  constructor(res: ServerResponse, upstream: Upstream, logger: Logger) {
    this.#res = res;
    this.#upstream = upstream;
    this.#logger = logger;
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
    this.#res.writeHead(statusCode, statusMessage, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
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
    if (this.#res.headersSent) {
      this.#res.destroy(error);
      return;
    }
    const status = statusForError(error);
    this.#logger.warn(
      { target: this.#upstream.target, status, err: error },
      'upstream request failed',
    );
    sendErrorPage(this.#res, status);
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
