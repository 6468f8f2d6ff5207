import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createSecureServer,
  Http2ServerRequest,
  type Http2ServerResponse,
  type Http2SecureServer,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../../shared/logger.ts';
import { hostHeaderOf } from '../forwarded-headers.ts';
import { asHttp1Exchange } from './secure-request.ts';
import type { TlsManager } from './tls-manager.ts';

/** As node:http's default, for HTTP/1.1 clients of this listener. */
const http1KeepAliveTimeoutMs = 5_000;
/** An HTTP/2 connection with no frames for this long is closed gracefully. */
const http2IdleTimeoutMs = 120_000;

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpsListener {
  readonly server: Http2SecureServer;
  /** Asks HTTP/2 clients to stop opening streams (GOAWAY); open streams finish. */
  closeSessions(): void;
  destroyAll(): void;
}

/**
 * The HTTPS listener: HTTP/2 and HTTP/1.1 through ALPN on one port, certificates by SNI
 * (a name without one fails the handshake), then the same routing as plain HTTP with
 * `X-Forwarded-Proto: https` and, where configured, HSTS. The app is always spoken to over
 * HTTP/1.1. WebSocket upgrades work over HTTP/1.1.
 */
export function createHttpsListener(
  tls: TlsManager,
  onRequest: RequestListener,
  onUpgrade: UpgradeListener,
  logger: Logger,
): HttpsListener {
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const server = createSecureServer({
    allowHTTP1: true,
    SNICallback: tls.store.sniCallback,
  });
  // node:http reads these from the server object for its HTTP/1.1 fallback.
  Object.assign(server, { keepAliveTimeout: http1KeepAliveTimeoutMs });

  server.on(
    'request',
    (
      req: IncomingMessage | Http2ServerRequest,
      res: ServerResponse | Http2ServerResponse,
    ): void => {
      const hsts = tls.hstsHeader(
        req instanceof Http2ServerRequest ? req.authority : hostHeaderOf(req.rawHeaders),
      );
      if (hsts !== undefined) res.setHeader('strict-transport-security', hsts);
      if (req instanceof Http2ServerRequest) {
        const exchange = asHttp1Exchange(req, res as Http2ServerResponse);
        onRequest(exchange.req, exchange.res);
        return;
      }
      onRequest(req, res as ServerResponse);
    },
  );
  server.on('upgrade', onUpgrade);
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.setTimeout(http2IdleTimeoutMs, () => session.close());
  });
  // Unknown names and scanners' junk handshakes end here; they are routine on port 443.
  server.on('tlsClientError', (error: Error) => {
    logger.debug({ err: error }, 'TLS handshake failed');
  });

  return {
    server,
    closeSessions: () => {
      for (const session of sessions) session.close();
    },
    destroyAll: () => {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
  };
}
