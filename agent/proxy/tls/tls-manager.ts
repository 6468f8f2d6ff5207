import { BerthError } from '../../../shared/errors.ts';
import type { Logger } from '../../../shared/logger.ts';
import type { CertificateStatus, ServiceRoute } from '../admin-protocol.ts';
import { normalizeHost } from '../route-table.ts';
import type { AcmeMaintainer } from './acme-maintainer.ts';
import type { CertificateStore } from './certificate-store.ts';
import { TlsPolicies } from './tls-policies.ts';

const defaultHttpsPort = 443;

/**
 * The proxy's TLS state as the listeners see it: per-host policies from the routes, the
 * certificates, and ACME upkeep. Redirects start only once the HTTPS listener is bound, and
 * per host only once a certificate for it exists.
 */
export class TlsManager {
  readonly #store: CertificateStore;
  readonly #maintainer: AcmeMaintainer | undefined;
  readonly #logger: Logger;
  #policies = TlsPolicies.none;
  #httpsPort: number | undefined;

  constructor(store: CertificateStore, maintainer: AcmeMaintainer | undefined, logger: Logger) {
    this.#store = store;
    this.#maintainer = maintainer;
    this.#logger = logger;
  }

  get store(): CertificateStore {
    return this.#store;
  }

  /** The HTTPS listener is up on `port`: redirects may start, and ACME issuance starts. */
  enableHttps(port: number): void {
    this.#httpsPort = port;
    this.#maintainer?.start();
  }

  routesChanged(routes: Iterable<ServiceRoute>): void {
    this.#policies = new TlsPolicies(routes);
    const acmeHosts: string[] = [];
    for (const [host, policy] of this.#policies.hosts()) {
      if (policy.mode === 'acme') acmeHosts.push(host);
    }
    this.#maintainer?.setHosts(acmeHosts);
  }

  /** Stores a custom certificate for each host; an identical stored one is left alone. */
  async storeCustomCertificate(
    hosts: readonly string[],
    certificatePem: string,
    privateKeyPem: string,
  ): Promise<void> {
    for (const host of hosts) {
      const stored = this.#store.get(host);
      if (
        stored?.origin.source === 'custom' &&
        stored.certificatePem === certificatePem &&
        stored.privateKeyPem === privateKeyPem
      ) {
        continue;
      }
      let put;
      try {
        put = await this.#store.put(host, certificatePem, privateKeyPem, { source: 'custom' });
      } catch (error) {
        throw new BerthError('INTERNAL', `could not store the certificate for ${host}`, {
          cause: error,
        });
      }
      const { serialNumber, notAfterMs } = put;
      this.#logger.info(
        { host, serialNumber, notAfter: new Date(notAfterMs).toISOString() },
        'custom certificate stored',
      );
    }
  }

  /** `https://host[:port]/path?query` when `hostHeader` should leave plain HTTP, else undefined. */
  redirectLocation(hostHeader: string | undefined, url: string): string | undefined {
    const port = this.#httpsPort;
    if (port === undefined || hostHeader === undefined || url.charCodeAt(0) !== 47) {
      return undefined;
    }
    if (this.#policies.forHostHeader(hostHeader)?.redirectHttp !== true) return undefined;
    const host = normalizeHost(hostHeader);
    if (this.#store.contextFor(host) === undefined) return undefined;
    return `https://${host}${port === defaultHttpsPort ? '' : `:${port}`}${url}`;
  }

  /** The Strict-Transport-Security value for HTTPS responses to `hostHeader`, if any. */
  hstsHeader(hostHeader: string | undefined): string | undefined {
    return this.#policies.forHostHeader(hostHeader)?.hstsHeader;
  }

  certificates(): CertificateStatus[] {
    const statuses: CertificateStatus[] = [];
    for (const [host, policy] of this.#policies.hosts()) {
      const stored = this.#store.get(host);
      const lastError = policy.mode === 'acme' ? this.#maintainer?.lastError(host) : undefined;
      statuses.push({
        host,
        mode: policy.mode,
        certificate:
          stored === undefined
            ? null
            : {
                source: stored.origin.source,
                serialNumber: stored.serialNumber,
                notAfter: new Date(stored.notAfterMs).toISOString(),
                issuer: stored.issuer,
              },
        ...(lastError === undefined ? {} : { lastError }),
      });
    }
    return statuses.sort((a, b) => a.host.localeCompare(b.host));
  }

  async stop(): Promise<void> {
    await this.#maintainer?.stop();
  }
}
