import { randomUUID } from 'node:crypto';
import type { ClientSocket } from './client-exchange.ts';

/**
 * Connection-level headers (RFC 9110 §7.6.1, the same list as Go's ReverseProxy) that must not
 * cross the proxy. `expect` is here because Node already answered `100 Continue` to the client.
 */
const hopByHop = new Set([
  'connection',
  'proxy-connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
]);

const connectionTokensIgnored = new Set(['close', 'keep-alive']);

/** Indexed by name length: only names of these lengths are lowercased and looked up. */
const isHopByHopLength: boolean[] = [];
for (const name of hopByHop) isHopByHopLength[name.length] = true;

/** `name` (any case) is a hop-by-hop header. */
function isHopByHop(name: string): boolean {
  return isHopByHopLength[name.length] === true && hopByHop.has(name.toLowerCase());
}

/** How the client's body travels: none, with its declared length, or chunked (length unknown). */
export type BodyFraming = 'none' | 'length' | 'chunked';

/** What the proxy sends upstream for one client request. */
export interface RequestHead {
  /** Flat `[name, value, name, value, …]`. */
  headers: string[];
  host: string | undefined;
  body: BodyFraming;
  /** The client's Content-Length; 0 without one. */
  declaredBodyBytes: number;
}

/** Where a request came from, as far as the forwarded headers tell the app. */
export interface ClientConnection {
  ip: string;
  /** Arrived over TLS: X-Forwarded-Proto is `https`. */
  isSecure: boolean;
  /**
   * Keep the client's own X-Forwarded-* (the For list is appended to), as behind a load
   * balancer; otherwise they are dropped and set from the connection.
   */
  trustsForwardedHeaders: boolean;
}

/**
 * Copies the client's headers minus hop-by-hop ones and adds X-Forwarded-For/-Proto/-Host,
 * X-Request-ID and X-Request-Start, as kamal-proxy does.
 */
export function forwardedRequestHead(rawHeaders: string[], client: ClientConnection): RequestHead {
  const isTrusted = client.trustsForwardedHeaders;
  const headers: string[] = [];
  let host: string | undefined;
  let declaredBodyBytes = 0;
  let isChunked = false;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let forwardedHost: string | undefined;
  let requestId: string | undefined;
  let requestStart: string | undefined;
  let connectionTokens: string | undefined;

  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    const value = rawHeaders[i + 1] ?? '';
    const lower = name.toLowerCase();
    switch (lower) {
      case 'host':
        host = value;
        break;
      case 'content-length':
        declaredBodyBytes = Number(value);
        break;
      case 'transfer-encoding':
        isChunked = true;
        continue;
      case 'connection':
        connectionTokens = connectionTokens === undefined ? value : `${connectionTokens},${value}`;
        continue;
      case 'x-forwarded-for':
        if (isTrusted) {
          forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        }
        continue;
      case 'x-forwarded-proto':
        if (isTrusted) forwardedProto ??= value;
        continue;
      case 'x-forwarded-host':
        if (isTrusted) forwardedHost ??= value;
        continue;
      case 'x-request-id':
        requestId ??= value;
        continue;
      case 'x-request-start':
        requestStart ??= value;
        continue;
      default:
        if (hopByHop.has(lower)) continue;
    }
    headers.push(name, value);
  }

  if (connectionTokens !== undefined) removeConnectionTokens(headers, connectionTokens);
  headers.push(
    'x-forwarded-for',
    forwardedFor === undefined ? client.ip : `${forwardedFor}, ${client.ip}`,
    'x-forwarded-proto',
    forwardedProto ?? (client.isSecure ? 'https' : 'http'),
    'x-request-id',
    requestId ?? randomUUID(),
    'x-request-start',
    requestStart ?? `t=${Date.now()}`,
  );
  const hostForwarded = forwardedHost ?? host;
  if (hostForwarded !== undefined) headers.push('x-forwarded-host', hostForwarded);
  // llhttp refuses a request with both, so a chunked one here carries no Content-Length.
  const body: BodyFraming = isChunked ? 'chunked' : declaredBodyBytes > 0 ? 'length' : 'none';
  return { headers, host, body, declaredBodyBytes };
}

/**
 * An upstream response's raw headers (flat, names as the app wrote them) without hop-by-hop
 * ones, including those its Connection header names. Returns the same array when nothing goes.
 */
export function responseHeadersToForward(rawHeaders: string[]): string[] {
  let connectionTokens: string | undefined;
  let dropCount = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (!isHopByHop(name)) continue;
    dropCount += 1;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      const value = rawHeaders[i + 1] ?? '';
      connectionTokens = connectionTokens === undefined ? value : `${connectionTokens},${value}`;
    }
  }
  if (dropCount === 0) return rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (isHopByHop(name)) continue;
    headers.push(name, rawHeaders[i + 1] ?? '');
  }
  if (connectionTokens !== undefined) removeConnectionTokens(headers, connectionTokens);
  return headers;
}

/**
 * The Host header from raw headers. Cheaper than `req.headers.host`, which makes node build the
 * whole lowercased headers object for this one value.
 */
export function hostHeaderOf(rawHeaders: string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] ?? '';
    if (name.length === 4 && name.toLowerCase() === 'host') return rawHeaders[i + 1];
  }
  return undefined;
}

/**
 * The client's connection as the forwarded headers describe it: its address, whether it came
 * over TLS, and whether its own X-Forwarded-* are believed. The route's `forwardHeaders` decides;
 * by default they are, unless the request came over TLS or the route has HTTPS (where Berth is
 * the edge, as kamal-proxy's `--forward-headers` default).
 */
export function clientConnectionOf(
  req: { readonly socket: ClientSocket },
  policy: { forwardHeaders: boolean | undefined; terminatesTls: boolean } | undefined,
): ClientConnection {
  const isSecure = req.socket.encrypted === true;
  return {
    ip: clientIpOf(req.socket.remoteAddress),
    isSecure,
    trustsForwardedHeaders: policy?.forwardHeaders ?? (!isSecure && policy?.terminatesTls !== true),
  };
}

/** The client address without the `::ffff:` prefix of IPv4-mapped IPv6. */
export function clientIpOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return 'unknown';
  return remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
}

function removeConnectionTokens(headers: string[], connectionTokens: string): void {
  // Nearly every Connection header says just this: nothing more to remove.
  if (isIgnoredToken(connectionTokens)) return;
  const named = connectionTokens
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '' && !connectionTokensIgnored.has(token));
  if (named.length === 0) return;
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    if (named.includes((headers[i] ?? '').toLowerCase())) headers.splice(i, 2);
  }
}

function isIgnoredToken(value: string): boolean {
  return connectionTokensIgnored.has(value.toLowerCase());
}
