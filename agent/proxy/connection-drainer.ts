import type { Server } from 'node:net';
import type { Http1Front } from './front/http1-front.ts';
import { settlesWithin } from './listen-sockets.ts';

/** A keep-alive connection idle this long while draining is closed; a busy client is never idle so long. */
export const drainIdleCloseMs = 1_000;
const reapIntervalMs = 100;

/**
 * Lets a proxy that has a successor let go of its clients without failing a request: it stops
 * accepting, answers each further request on an open HTTP/1.1 connection with
 * `Connection: close`, and closes a keep-alive connection only once it has sat idle for
 * `drainIdleCloseMs` — closing one the instant it looks idle races the client's next request,
 * which then fails. Upgraded connections and HTTP/2 sessions end by their own rules.
 */
export class ConnectionDrainer {
  readonly #servers: Server[] = [];
  readonly #fronts: Http1Front[] = [];

  /** A listener and the front that serves its HTTP/1.1 connections. */
  track(server: Server, front: Http1Front): void {
    this.#servers.push(server);
    this.#fronts.push(front);
  }

  /**
   * Stops accepting on every tracked server and resolves once all their connections have
   * ended, or after `timeoutMs` (then `false`; the caller cuts what is left).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    for (const front of this.#fronts) front.isDraining = true;
    const allClosed = Promise.all(
      this.#servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    const reaper = setInterval(() => {
      for (const front of this.#fronts) front.closeIdle(drainIdleCloseMs);
    }, reapIntervalMs);
    try {
      return await settlesWithin(allClosed, timeoutMs);
    } finally {
      clearInterval(reaper);
    }
  }
}
