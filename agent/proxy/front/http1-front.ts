import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  ClientRequest,
  ClientRequestListener,
  ClientResponse,
  ClientUpgradeListener,
} from '../client-exchange.ts';
import { defaultClientLimits, type ClientLimits } from '../client-limits.ts';
import { Http1Connection, type ConnectionHost } from './http1-connection.ts';

export interface FrontHandlers {
  onRequest: ClientRequestListener;
  onUpgrade: ClientUpgradeListener;
  /** A request handler threw; its connection has been cut. */
  onHandlerError(error: unknown): void;
}

/**
 * Berth's client-facing HTTP/1.1 server, for plain HTTP and for TLS connections that did not
 * choose HTTP/2. It does what node:http's server does for a proxy (keep-alive, pipelining,
 * 100-continue, upgrades, header, request and idle timeouts) for less CPU per request, which
 * closed most of the gap to nginx (BENCHMARKS.md). Sockets come from listeners,
 * which stay plain `net`/`tls` servers, so they can be handed to a successor or a replica.
 */
export class Http1Front implements ConnectionHost {
  readonly #handlers: FrontHandlers;
  readonly #limits: ClientLimits;
  readonly #connections = new Set<Http1Connection>();
  #checker: NodeJS.Timeout | undefined;
  /** Set while letting go of clients: every response from then on closes its connection. */
  isDraining = false;

  constructor(handlers: FrontHandlers, limits: ClientLimits = defaultClientLimits) {
    this.#handlers = handlers;
    this.#limits = limits;
  }

  /** Serves HTTP/1.1 on `socket` (plain, or TLS after its handshake). */
  readonly accept = (socket: Socket): void => {
    this.#connections.add(new Http1Connection(socket, this));
    this.#checker ??= setInterval(() => this.#checkTimeouts(), checkIntervalMs(this.#limits));
  };

  get connectionCount(): number {
    return this.#connections.size;
  }

  onRequest(req: ClientRequest, res: ClientResponse): void {
    this.#handlers.onRequest(req, res);
  }

  onUpgrade(req: ClientRequest, socket: Duplex, head: Buffer): void {
    this.#handlers.onUpgrade(req, socket, head);
  }

  onHandlerError(error: unknown): void {
    this.#handlers.onHandlerError(error);
  }

  released(connection: Http1Connection): void {
    this.#connections.delete(connection);
    if (this.#connections.size === 0) this.#stopChecker();
  }

  /** Closes connections that have been between requests for at least `idleMs`. */
  closeIdle(idleMs: number): void {
    const idleBeforeMs = Date.now() - idleMs;
    for (const connection of this.#connections) {
      if (connection.isIdle && connection.idleSinceMs <= idleBeforeMs) connection.destroy();
    }
  }

  /** Cuts every connection it serves (upgraded ones are no longer its). */
  destroyAll(): void {
    for (const connection of this.#connections) connection.destroy();
  }

  #checkTimeouts(): void {
    const nowMs = Date.now();
    for (const connection of this.#connections) connection.checkTimeouts(nowMs, this.#limits);
  }

  #stopChecker(): void {
    clearInterval(this.#checker);
    this.#checker = undefined;
  }
}

/**
 * A plain-HTTP listener whose connections `front` serves. Half-open, so a client that sends a
 * request and closes its side still gets the answer.
 */
export function createHttp1Server(front: Http1Front): Server {
  return createServer({ noDelay: true, allowHalfOpen: true }, front.accept);
}

/**
 * Timeouts are checked on one timer for all connections, at a tenth of the shorter of the header
 * and request timeouts (50 ms to 1 s), so a slow client is cut close to its deadline.
 */
function checkIntervalMs(limits: ClientLimits): number {
  const shortestMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return Math.min(1000, Math.max(50, Math.floor(shortestMs / 10)));
}
