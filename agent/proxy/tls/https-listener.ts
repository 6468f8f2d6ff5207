import {
  createSecureServer,
  type IncomingHttpHeaders as Http2IncomingHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createTlsServer, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '../../../shared/logger.ts';
import type { ClientRequestListener, ClientUpgradeListener } from '../client-exchange.ts';
import type { ClientLimits } from '../client-limits.ts';
import { hostHeaderOf } from '../forwarded-headers.ts';
import { Http1Front } from '../front/http1-front.ts';
import { answerExpectation, http2Exchange } from './http2-exchange.ts';
import type { TlsManager } from './tls-manager.ts';

/** An HTTP/2 connection with no frames for this long is closed gracefully. */
const http2IdleTimeoutMs = 120_000;

export interface HttpsListener {
  /** The listening TLS server. */
  readonly server: Server;
  /** Serves the connections that chose HTTP/1.1 (or nothing) by ALPN. */
  readonly front: Http1Front;
  /** Asks HTTP/2 clients to stop opening streams (GOAWAY); open streams finish. */
  closeSessions(): void;
  destroyAll(): void;
}

/**
 * The HTTPS listener: HTTP/2 and HTTP/1.1 through ALPN on one port, certificates by SNI
 * (a name without one fails the handshake), then the same routing as plain HTTP with
 * `X-Forwarded-Proto: https` and, where configured, HSTS. After the handshake a connection
 * that chose HTTP/2 goes to node's HTTP/2 server (which never listens itself), any other to
 * Berth's HTTP/1.1 front. The app is always spoken to over HTTP/1.1. WebSocket upgrades work
 * over HTTP/1.1.
 */
export function createHttpsListener(
  tls: TlsManager,
  onRequest: ClientRequestListener,
  onUpgrade: ClientUpgradeListener,
  logger: Logger,
  limits?: ClientLimits,
): HttpsListener {
  const sessions = new Set<ServerHttp2Session>();
  const http2Sockets = new Set<TLSSocket>();
  const withHsts: ClientRequestListener = (req, res) => {
    const hsts = tls.hstsHeader(hostHeaderOf(req.rawHeaders));
    if (hsts !== undefined) res.setHeader('strict-transport-security', hsts);
    onRequest(req, res);
  };
  const front = new Http1Front(
    {
      onRequest: withHsts,
      onUpgrade,
      onHandlerError: (error) => logger.error({ err: error }, 'request handler failed'),
    },
    limits,
  );
  const http2 = createSecureServer({ SNICallback: tls.store.sniCallback });
  // The core 'stream' event, not 'request': node's compat objects are never made.
  http2.on(
    'stream',
    (stream: ServerHttp2Stream, headers: Http2IncomingHeaders, _flags: number, raw: string[]) => {
      // A reset or failed stream ends with 'close', which tells the handler.
      stream.on('error', ignoreStreamError);
      if (answerExpectation(stream, headers)) return;
      const exchange = http2Exchange(stream, headers, raw);
      try {
        withHsts(exchange.req, exchange.res);
      } catch (error) {
        logger.error({ err: error }, 'request handler failed');
        stream.destroy();
      }
    },
  );
  http2.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.setTimeout(http2IdleTimeoutMs, () => session.close());
  });

  const server = createTlsServer(
    {
      SNICallback: tls.store.sniCallback,
      ALPNProtocols: ['h2', 'http/1.1'],
      noDelay: true,
      allowHalfOpen: true,
    },
    (socket: TLSSocket) => {
      if (socket.alpnProtocol !== 'h2') {
        front.accept(socket);
        return;
      }
      http2Sockets.add(socket);
      socket.once('close', () => http2Sockets.delete(socket));
      http2.emit('secureConnection', socket);
    },
  );
  // Unknown names and scanners' junk handshakes end here; they are routine on port 443.
  server.on('tlsClientError', (error: Error) => {
    logger.debug({ err: error }, 'TLS handshake failed');
  });

  return {
    server,
    front,
    closeSessions: () => {
      for (const session of sessions) session.close();
    },
    destroyAll: () => {
      for (const session of sessions) session.destroy();
      for (const socket of http2Sockets) socket.destroy();
      front.destroyAll();
    },
  };
}

function ignoreStreamError(): void {}
