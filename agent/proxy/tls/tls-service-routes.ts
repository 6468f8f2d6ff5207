import type { Logger } from '../../../shared/logger.ts';
import type { SwitchServiceRequest, SwitchServiceResult } from '../admin-protocol.ts';
import { ServiceRoutes } from '../service-routes.ts';
import type { UpstreamRegistry } from '../upstream-registry.ts';
import type { TlsManager } from './tls-manager.ts';

/**
 * ServiceRoutes that keep TLS in step: a custom certificate is taken out of the route (so
 * neither the state file nor `GET /services` holds the key) and stored once the switch
 * succeeds; every change and the restore refresh the TLS policies and the ACME hosts.
 */
export class TlsServiceRoutes extends ServiceRoutes {
  readonly #tls: TlsManager;
  /** Switch + certificate store run as one step, so two switches cannot interleave them. */
  #pending: Promise<unknown> = Promise.resolve();

  constructor(
    upstreams: UpstreamRegistry,
    statePath: string,
    tls: TlsManager,
    logger: Logger,
    options: { readOnly?: boolean } = {},
  ) {
    super(upstreams, statePath, logger, options);
    this.#tls = tls;
  }

  override switch(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult> {
    return this.#exclusively(async () => {
      try {
        const tls = request.tls;
        if (tls === undefined) return await super.switch(name, request);
        const { certificatePem, privateKeyPem, ...settings } = tls;
        const result = await super.switch(name, { ...request, tls: settings });
        if (
          settings.mode === 'custom' &&
          certificatePem !== undefined &&
          privateKeyPem !== undefined
        ) {
          await this.#tls.storeCustomCertificate(request.hosts, certificatePem, privateKeyPem);
        }
        return result;
      } finally {
        this.#tls.routesChanged(this.list());
      }
    });
  }

  override remove(name: string): Promise<boolean> {
    return this.#exclusively(async () => {
      try {
        return await super.remove(name);
      } finally {
        this.#tls.routesChanged(this.list());
      }
    });
  }

  override async restore(): Promise<void> {
    await super.restore();
    this.#tls.routesChanged(this.list());
  }

  #exclusively<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#pending.then(change);
    this.#pending = result.catch(() => undefined);
    return result;
  }
}
