import type { ServiceRoute } from '../admin-protocol.ts';
import { normalizeHost } from '../route-table.ts';

/** What HTTPS means for one route host. */
export interface HostTlsPolicy {
  readonly mode: 'acme' | 'custom';
  readonly redirectHttp: boolean;
  /** The ready Strict-Transport-Security value, or undefined for none. */
  readonly hstsHeader: string | undefined;
}

/**
 * TLS settings by host, from the routes. When several services share a host (different path
 * prefixes), the one at `/` decides, as in kamal-proxy; without one, the first by name.
 */
export class TlsPolicies {
  static readonly none = new TlsPolicies([]);

  readonly #exact = new Map<string, HostTlsPolicy>();
  /** Keyed by the parent domain: `*.example.com` is stored under `example.com`. */
  readonly #wildcard = new Map<string, HostTlsPolicy>();

  constructor(routes: Iterable<ServiceRoute>) {
    const ordered = [...routes].sort(
      (a, b) =>
        Number(b.pathPrefix === '/') - Number(a.pathPrefix === '/') ||
        a.service.localeCompare(b.service),
    );
    for (const route of ordered) {
      const tls = route.tls;
      if (tls === undefined || tls.mode === 'off') continue;
      const policy: HostTlsPolicy = {
        mode: tls.mode,
        redirectHttp: tls.redirectHttp,
        hstsHeader: tls.hstsMaxAgeSeconds > 0 ? `max-age=${tls.hstsMaxAgeSeconds}` : undefined,
      };
      for (const host of route.hosts) {
        const map = host.startsWith('*.') ? this.#wildcard : this.#exact;
        const key = host.startsWith('*.') ? host.slice(2) : host;
        if (!map.has(key)) map.set(key, policy);
      }
    }
  }

  get isEmpty(): boolean {
    return this.#exact.size === 0 && this.#wildcard.size === 0;
  }

  /** Every route host with TLS on, wildcards spelled `*.example.com`. */
  *hosts(): Iterable<[string, HostTlsPolicy]> {
    yield* this.#exact;
    for (const [parent, policy] of this.#wildcard) yield [`*.${parent}`, policy];
  }

  /** The policy for a Host header (port ignored): the exact host, else its wildcard. */
  forHostHeader(hostHeader: string | undefined): HostTlsPolicy | undefined {
    if (hostHeader === undefined || this.isEmpty) return undefined;
    const host = normalizeHost(hostHeader);
    const exact = this.#exact.get(host);
    if (exact !== undefined) return exact;
    const dot = host.indexOf('.');
    return dot > 0 ? this.#wildcard.get(host.slice(dot + 1)) : undefined;
  }
}
