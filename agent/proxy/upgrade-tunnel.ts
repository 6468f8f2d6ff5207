import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../shared/logger.ts';
import type { ClientRequest } from './client-exchange.ts';
import { addSetCookie, chooseUpstream } from './canary-split.ts';
import {
  maintenanceReason,
  rawErrorResponse,
  type CustomErrorPages,
  type ProxyErrorStatus,
} from './error-pages.ts';
import { clientConnectionOf, forwardedRequestHead, hostHeaderOf } from './forwarded-headers.ts';
import { upstreamPath } from './route-table.ts';
import type { RouteTableSource } from './traffic-handler.ts';
import type { Upstream } from './upstream.ts';

/**
 * Upgrade requests (WebSocket): forwarded like any request; on `101` the two sockets are
 * joined. An open tunnel counts as in flight, so draining the old target waits for it, up to
 * the drain timeout. Maintenance answers 503, a pause holds the upgrade, a canary splits it.
 */
export class UpgradeTunnels {
  readonly #routes: RouteTableSource;
  readonly #logger: Logger;
  /** Client sockets taken over from the HTTP server, which no longer tracks them. */
  readonly #open = new Set<Duplex>();

  constructor(routes: RouteTableSource, logger: Logger) {
    this.#routes = routes;
    this.#logger = logger;
  }

  handle = (req: ClientRequest, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    this.#open.add(socket);
    socket.once('close', () => this.#open.delete(socket));
    this.#route(req, socket, head);
  };

  #route(req: ClientRequest, socket: Duplex, head: Buffer): void {
    const { url } = req;
    const host = hostHeaderOf(req.rawHeaders);
    const entry = url.startsWith('/') ? this.#routes.table.match(host, url) : undefined;
    if (entry === undefined) {
      socket.end(rawErrorResponse(404, host));
      return;
    }
    const policy = this.#routes.policies.get(entry.service);
    const pages = policy?.errorPages;
    if (policy?.maintenanceMessage !== undefined) {
      const message = policy.maintenanceMessage || maintenanceReason;
      socket.end(rawErrorResponse(503, undefined, { message, pages }));
      return;
    }
    if (policy?.pause !== undefined) {
      const cancel = policy.pause.hold((outcome) => {
        if (cancel !== undefined) socket.off('close', cancel);
        if (outcome === 'resumed') this.#route(req, socket, head);
        else socket.end(rawErrorResponse(504, undefined, { pages }));
      });
      if (cancel === undefined) socket.end(rawErrorResponse(503, undefined, { pages }));
      else socket.once('close', cancel);
      return;
    }
    const { upstream, setCookie } = chooseUpstream(
      entry.upstream,
      policy?.canary,
      req.headers.cookie,
    );
    if (upstream === null) {
      socket.end(rawErrorResponse(503, undefined, { pages }));
      return;
    }
    const requestHead = forwardedRequestHead(req.rawHeaders, clientConnectionOf(req, policy));
    upstream.upgradePool.dispatch(
      {
        method: req.method,
        path: upstreamPath(entry, url),
        headers: requestHead.headers,
        body: null,
        upgrade: req.headers.upgrade ?? 'websocket',
        headersTimeout: entry.responseTimeoutMs,
        bodyTimeout: 0,
      },
      new TunnelHandler(socket, head, upstream, this.#logger, { setCookie, pages }),
    );
  }

  destroyAll(): void {
    for (const socket of this.#open) socket.destroy();
  }
}

interface TunnelExtras {
  /** A Set-Cookie value for the 101 answer (a new canary client's cookie). */
  setCookie: string | undefined;
  pages: CustomErrorPages | undefined;
}

class TunnelHandler implements Dispatcher.DispatchHandler {
  readonly #client: Duplex;
  readonly #head: Buffer;
  readonly #upstream: Upstream;
  readonly #logger: Logger;
  readonly #extras: TunnelExtras;
  #isFinished = false;
  #hasResponded = false;

  constructor(
    client: Duplex,
    head: Buffer,
    upstream: Upstream,
    logger: Logger,
    extras: TunnelExtras,
  ) {
    this.#client = client;
    this.#head = head;
    this.#upstream = upstream;
    this.#logger = logger;
    this.#extras = extras;
    upstream.begin();
    client.once('close', () => this.#finish());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#client.destroyed) controller.abort(new Error('client closed the connection'));
  }

  onRequestUpgrade(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    upstreamSocket: Duplex,
  ): void {
    this.#hasResponded = true;
    const client = this.#client;
    const upstream = this.#upstream;
    upstream.tunnels.add(client);
    client.once('close', () => upstream.tunnels.delete(client));
    const { setCookie } = this.#extras;
    if (setCookie !== undefined) addSetCookie(headers, setCookie);
    client.write(responseHead(statusCode, 'Switching Protocols', headers), 'latin1');
    if (this.#head.length > 0) upstreamSocket.write(this.#head);
    const closeBoth = (): void => {
      client.destroy();
      upstreamSocket.destroy();
    };
    upstreamSocket.on('error', closeBoth).on('close', closeBoth);
    client.on('error', closeBoth).on('close', closeBoth);
    upstreamSocket.pipe(client);
    client.pipe(upstreamSocket);
  }

  /** The target declined the upgrade: relay its answer and close. */
  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return;
    this.#hasResponded = true;
    delete headers['transfer-encoding'];
    headers.connection = 'close';
    this.#client.write(responseHead(statusCode, statusMessage ?? '', headers), 'latin1');
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#client.write(chunk);
  }

  onResponseEnd(): void {
    this.#finish();
    this.#client.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#finish();
    if (this.#hasResponded || this.#client.destroyed) {
      this.#client.destroy();
      return;
    }
    const status: ProxyErrorStatus =
      'code' in error && error.code === 'UND_ERR_HEADERS_TIMEOUT' ? 504 : 502;
    this.#logger.warn(
      { target: this.#upstream.target, status, err: error },
      'upstream upgrade failed',
    );
    this.#client.end(rawErrorResponse(status, undefined, { pages: this.#extras.pages }));
  }

  #finish(): void {
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#upstream.end();
  }
}

function responseHead(
  statusCode: number,
  statusMessage: string,
  headers: Record<string, string | string[] | undefined>,
): string {
  let head = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) head += `${name}: ${item}\r\n`;
  }
  return `${head}\r\n`;
}
