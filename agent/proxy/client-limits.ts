import type { Server as HttpServer } from 'node:http';
import type { Http2SecureServer } from 'node:http2';
import type { Server as HttpsServer } from 'node:https';

/** How long the proxy waits on clients, so a slow or idle one cannot hold a connection forever. */
export interface ClientLimits {
  /** A request's whole head must arrive within this; a client trickling headers gets 408. */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (408 after). */
  requestTimeoutMs: number;
  /** A keep-alive connection idle between requests is closed after this. */
  keepAliveTimeoutMs: number;
}

export const defaultClientLimits: ClientLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
};

/**
 * Applies `limits` to a client-facing server; call it before `listen`. Works for node:http and
 * node:https servers and for the HTTP/1.1 side of an HTTP/2 server with `allowHTTP1`. Node
 * checks the header and request timeouts on a timer, so the timer runs at a tenth of the
 * shorter timeout (50 ms to 1 s) to cut a slow client close to its deadline.
 */
export function applyClientLimits(
  server: HttpServer | HttpsServer | Http2SecureServer,
  limits: ClientLimits = defaultClientLimits,
): void {
  const shortestMs = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  Object.assign(server, {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(shortestMs / 10))),
  });
}
