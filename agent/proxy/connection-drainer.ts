import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import { Server as NetServer, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { settlesWithin } from './listen-sockets.ts';

/** A keep-alive connection idle this long while draining is closed; a busy client is never idle so long. */
export const drainIdleCloseMs = 1_000;
const reapIntervalMs = 100;

interface ConnectionUse {
  activeRequests: number;
  idleSinceMs: number;
  /** Upgraded (WebSocket) or HTTP/2: closed by their own rules, not as idle HTTP/1.1. */
  isExempt: boolean;
}

type ClientServer = Server | Http2SecureServer;

/**
 * Lets a proxy that has a successor let go of its clients without failing a request: it stops
 * accepting, answers each further request on an open HTTP/1.1 connection with
 * `Connection: close`, and closes a keep-alive connection only once it has sat idle for
 * `drainIdleCloseMs` — closing one the instant it looks idle races the client's next request,
 * which then fails. node:http's own `close()` does exactly that, so this stops accepting
 * through `net.Server`'s `close` instead.
 */
export class ConnectionDrainer {
  readonly #connections = new Map<Socket, ConnectionUse>();
  readonly #servers: ClientServer[] = [];
  #isDraining = false;

  /** Call before `listen`, so every connection is seen. */
  track(server: ClientServer): void {
    this.#servers.push(server);
    const onConnection = (socket: Socket): void => {
      const use = { activeRequests: 0, idleSinceMs: Date.now(), isExempt: isHttp2(socket) };
      this.#connections.set(socket, use);
      socket.once('close', () => this.#connections.delete(socket));
    };
    server.on(isSecure(server) ? 'secureConnection' : 'connection', onConnection);
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const use = this.#connections.get(req.socket);
      if (use === undefined || use.isExempt) return;
      use.activeRequests++;
      if (this.#isDraining && !res.headersSent) res.setHeader('connection', 'close');
      res.once('close', () => {
        use.activeRequests--;
        use.idleSinceMs = Date.now();
      });
    });
    server.prependListener('upgrade', (req: IncomingMessage) => {
      const use = this.#connections.get(req.socket);
      if (use !== undefined) use.isExempt = true;
    });
  }

  /**
   * Stops accepting on every tracked server and resolves once all their connections have
   * ended, or after `timeoutMs` (then `false`; the caller cuts what is left).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#isDraining = true;
    const allClosed = Promise.all(
      this.#servers.map(
        (server) =>
          new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve())),
      ),
    );
    const reaper = setInterval(() => this.#closeIdle(), reapIntervalMs);
    try {
      return await settlesWithin(allClosed, timeoutMs);
    } finally {
      clearInterval(reaper);
    }
  }

  #closeIdle(): void {
    const idleBeforeMs = Date.now() - drainIdleCloseMs;
    for (const [socket, use] of this.#connections) {
      if (!use.isExempt && use.activeRequests === 0 && use.idleSinceMs <= idleBeforeMs) {
        socket.destroy();
      }
    }
  }
}

function isSecure(server: ClientServer): boolean {
  return 'setSecureContext' in server;
}

function isHttp2(socket: Socket): boolean {
  return (socket as TLSSocket).alpnProtocol === 'h2';
}
