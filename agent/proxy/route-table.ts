import type { ServiceRoute } from './admin-protocol.ts';

/** One service mounted at one host and path prefix. `TUpstream` is whatever forwards requests. */
export interface RouteEntry<TUpstream> {
  readonly service: string;
  readonly pathPrefix: string;
  readonly stripPathPrefix: boolean;
  readonly responseTimeoutMs: number;
  /** null when the service has no target: requests get 503. */
  readonly upstream: TUpstream | null;
}

type Entries<TUpstream> = RouteEntry<TUpstream>[];

const CATCH_ALL = '';
const SLASH = 47;
const QUESTION_MARK = 63;
const OPEN_BRACKET = 91;
const DOT = 46;

/**
 * An immutable routing table. A switch builds a new one and swaps a single reference, so every
 * request sees either the old table or the new one, never a mix.
 */
export class RouteTable<TUpstream> {
  readonly #exact = new Map<string, Entries<TUpstream>>();
  /** Keyed by the parent domain: `*.example.com` is stored under `example.com`. */
  readonly #wildcard = new Map<string, Entries<TUpstream>>();
  readonly #catchAll: Entries<TUpstream> | undefined;

  constructor(
    routes: Iterable<ServiceRoute>,
    resolveUpstream: (target: string) => TUpstream | null,
  ) {
    let catchAll: Entries<TUpstream> | undefined;
    for (const route of routes) {
      const entry: RouteEntry<TUpstream> = {
        service: route.service,
        pathPrefix: route.pathPrefix,
        stripPathPrefix: route.stripPathPrefix,
        responseTimeoutMs: route.responseTimeoutMs,
        upstream: route.target === '' ? null : resolveUpstream(route.target),
      };
      if (route.hosts.length === 0) {
        catchAll = insertByPrefixLength(catchAll ?? [], entry);
      }
      for (const host of route.hosts) {
        const map = host.startsWith('*.') ? this.#wildcard : this.#exact;
        const key = host.startsWith('*.') ? host.slice(2) : host;
        map.set(key, insertByPrefixLength(map.get(key) ?? [], entry));
      }
    }
    this.#catchAll = catchAll;
  }

  /**
   * The entry serving `url` on `hostHeader`. Like kamal-proxy, once a host has any binding only
   * that host's prefixes are searched: a miss there is a 404 even when a catch-all exists.
   */
  match(hostHeader: string | undefined, url: string): RouteEntry<TUpstream> | undefined {
    const entries = this.#entriesFor(
      hostHeader === undefined ? CATCH_ALL : normalizeHost(hostHeader),
    );
    if (entries === undefined) return undefined;
    for (const entry of entries) {
      if (matchesPrefix(entry.pathPrefix, url)) return entry;
    }
    return undefined;
  }

  #entriesFor(host: string): Entries<TUpstream> | undefined {
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    const dot = host.indexOf('.');
    if (dot > 0) {
      const wildcard = this.#wildcard.get(host.slice(dot + 1));
      if (wildcard !== undefined) return wildcard;
    }
    return this.#catchAll;
  }
}

/** The path the upstream sees: the prefix removed when the route strips it, `/` if nothing is left. */
export function upstreamPath(entry: RouteEntry<unknown>, url: string): string {
  if (!entry.stripPathPrefix || entry.pathPrefix === '/') return url;
  const rest = url.slice(entry.pathPrefix.length);
  return rest.length === 0 || rest.charCodeAt(0) === QUESTION_MARK ? '/' + rest : rest;
}

/** Host header → routing key: port and trailing dot removed, lower case. */
export function normalizeHost(hostHeader: string): string {
  let end = hostHeader.length;
  if (hostHeader.charCodeAt(0) === OPEN_BRACKET) {
    const close = hostHeader.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = hostHeader.lastIndexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 0 && hostHeader.charCodeAt(end - 1) === DOT) end -= 1;
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  return host.toLowerCase();
}

/** The first other service already owning one of `candidate`'s host + prefix pairs, if any. */
export function findRouteConflict(
  routes: Iterable<ServiceRoute>,
  candidate: ServiceRoute,
): { service: string; host: string; pathPrefix: string } | undefined {
  const candidateHosts = candidate.hosts.length === 0 ? [CATCH_ALL] : candidate.hosts;
  for (const route of routes) {
    if (route.service === candidate.service || route.pathPrefix !== candidate.pathPrefix) continue;
    const hosts = route.hosts.length === 0 ? [CATCH_ALL] : route.hosts;
    const shared = candidateHosts.find((host) => hosts.includes(host));
    if (shared !== undefined) {
      return { service: route.service, host: shared, pathPrefix: route.pathPrefix };
    }
  }
  return undefined;
}

function matchesPrefix(prefix: string, url: string): boolean {
  if (prefix === '/') return true;
  if (!url.startsWith(prefix)) return false;
  if (url.length === prefix.length) return true;
  const next = url.charCodeAt(prefix.length);
  return next === SLASH || next === QUESTION_MARK;
}

function insertByPrefixLength<T>(entries: Entries<T>, entry: RouteEntry<T>): Entries<T> {
  entries.push(entry);
  entries.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
  return entries;
}
