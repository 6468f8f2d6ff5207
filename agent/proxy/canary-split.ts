import { randomBytes } from 'node:crypto';

/** The cookie that pins a client to one side of a canary split. */
export const canaryCookieName = 'berth-canary';
const canaryCookieMaxAgeSeconds = 30 * 24 * 60 * 60;
const clientIdPattern = /^[A-Za-z0-9_-]{8,64}$/;
const hashRange = 2 ** 32;

/** A service's canary as the traffic path uses it: the upstream and the hash threshold. */
export interface CanarySplit<TUpstream> {
  readonly upstream: TUpstream;
  readonly percent: number;
  /** Clients whose id hashes below this go to the canary. */
  readonly threshold: number;
}

export function canarySplit<TUpstream>(
  upstream: TUpstream,
  percent: number,
): CanarySplit<TUpstream> {
  return { upstream, percent, threshold: Math.floor((percent / 100) * hashRange) };
}

/**
 * Whether the client `clientId` belongs to the canary: FNV-1a (32 bit) of the id against the
 * percent, as kamal-proxy splits its rollouts, so a client keeps its side while the percent holds.
 */
export function isCanaryClient(clientId: string, split: CanarySplit<unknown>): boolean {
  return fnv1a32(clientId) < split.threshold;
}

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The client id from a Cookie header, if it carries a well-formed `berth-canary` cookie. */
export function canaryClientIdIn(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  const start = cookieHeader.indexOf(`${canaryCookieName}=`);
  if (start === -1) return undefined;
  if (start > 0 && !/[;\s]/.test(cookieHeader.charAt(start - 1))) return undefined;
  const valueStart = start + canaryCookieName.length + 1;
  const end = cookieHeader.indexOf(';', valueStart);
  const value = cookieHeader.slice(valueStart, end === -1 ? undefined : end).trim();
  return clientIdPattern.test(value) ? value : undefined;
}

export function newCanaryClientId(): string {
  return randomBytes(12).toString('base64url');
}

/** The Set-Cookie value that pins a new client. */
export function canaryCookie(clientId: string): string {
  return (
    `${canaryCookieName}=${clientId}; Path=/; Max-Age=${canaryCookieMaxAgeSeconds}; ` +
    'HttpOnly; SameSite=Lax'
  );
}

/**
 * The upstream for one request: main, or the canary for clients on its side. A client without
 * a valid cookie gets a new id, decided like any other, and the cookie to set on the response.
 */
export function chooseUpstream<TUpstream>(
  main: TUpstream | null,
  canary: CanarySplit<TUpstream> | undefined,
  cookieHeader: string | undefined,
): { upstream: TUpstream | null; setCookie: string | undefined } {
  if (canary === undefined) return { upstream: main, setCookie: undefined };
  const existing = canaryClientIdIn(cookieHeader);
  const clientId = existing ?? newCanaryClientId();
  return {
    upstream: isCanaryClient(clientId, canary) ? canary.upstream : main,
    setCookie: existing === undefined ? canaryCookie(clientId) : undefined,
  };
}

/** Adds `cookie` to a response's Set-Cookie headers, keeping the app's own. */
export function addSetCookie(
  headers: Record<string, string | string[] | undefined>,
  cookie: string,
): void {
  const existing = headers['set-cookie'];
  if (existing === undefined) headers['set-cookie'] = cookie;
  else headers['set-cookie'] = Array.isArray(existing) ? [...existing, cookie] : [existing, cookie];
}
