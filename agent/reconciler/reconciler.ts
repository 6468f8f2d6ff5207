import { isBerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ServiceState } from '../proxy/admin-protocol.ts';
import { containerSpecFor } from '../docker/container-spec.ts';
import type { DeployerDeps } from '../deployer/deployer-deps.ts';
import {
  rolesOnHost,
  routeRequestFor,
  targetAddress,
  type HostRole,
} from '../deployer/host-plan.ts';
import { decodeStoredManifest } from '../deployer/stored-manifest.ts';
import { openHostSecrets } from '../deployer/host-secrets.ts';
import { manifestOf, parkedCanary } from '../deployer/canary-lookup.ts';
import { pointCanarySlot } from '../deployer/canary-slots.ts';
import { planRepairs, type Repair } from './repair-plan.ts';

/**
 * Keeps the host at each service's last good release: restarts or recreates containers that
 * died or were removed, re-points proxy routes at them, and stops stale containers. A service
 * with a deployment in progress is left alone (the deployer holds its lock).
 */
export class Reconciler {
  readonly #deps: DeployerDeps;
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;
  #stopped = false;

  constructor(deps: DeployerDeps, options: { intervalMs: number }) {
    this.#deps = deps;
    this.#intervalMs = options.intervalMs;
  }

  start(): void {
    this.#stopped = false;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#tick;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.reconcileOnce()
        .then(() => undefined)
        .catch((error: unknown) => this.#deps.logger.error({ err: error }, 'reconcile pass failed'))
        .finally(() => this.#schedule(this.#intervalMs));
    }, delayMs);
  }

  /** One pass over every service; returns the repairs it made (for tests and logs). */
  async reconcileOnce(): Promise<Repair[]> {
    const services = this.#deps.store.services().filter((s) => s.liveSequence !== null);
    if (!services.length) return [];
    const routes = await this.#deps.proxy.listServiceStates();
    const made: Repair[] = [];
    for (const service of services) {
      if (!this.#deps.locks.tryAcquire(service.service, 'reconciler')) continue;
      try {
        made.push(
          ...(await this.#reconcileService(
            service.service,
            service.liveSequence as number,
            routes,
          )),
        );
      } catch (error) {
        this.#deps.logger.warn(
          {
            service: service.service,
            code: isBerthError(error) ? error.code : 'INTERNAL',
            err: error,
          },
          'could not repair service; will retry',
        );
      } finally {
        this.#deps.locks.release(service.service);
      }
    }
    return made;
  }

  async #reconcileService(
    service: string,
    liveSequence: number,
    routes: ServiceState[],
  ): Promise<Repair[]> {
    const { store, engine, network, hostName } = this.#deps;
    const release = store.release(service, liveSequence);
    if (!release) return [];
    const manifest = decodeStoredManifest(release.jws);
    const hostRoles = rolesOnHost(manifest, hostName);
    const parked = parkedCanary(store, service);
    const canaryManifest = parked ? manifestOf(store, parked) : null;
    const canary = canaryManifest && {
      manifest: canaryManifest,
      hostRoles: rolesOnHost(canaryManifest, hostName),
      percent: canaryManifest.canary?.percent ?? 0,
    };
    const containers = await engine.listContainers({ 'berth.service': service }, network);
    const repairs = planRepairs({
      manifest,
      hostRoles,
      containers,
      routes,
      hostName,
      ...(canary ? { canary } : {}),
    });
    for (const repair of repairs) {
      this.#deps.logger.warn(
        {
          service,
          role: repair.role,
          action: repair.action,
          container: repair.containerName,
          release: repair.release,
        },
        'repairing',
      );
      const wanted = repair.release === 'canary' && canary ? canary : { manifest, hostRoles };
      await this.#apply(repair, wanted.manifest, wanted.hostRoles, canary?.percent ?? null);
    }
    return repairs;
  }

  async #apply(
    repair: Repair,
    manifest: ReleaseManifest,
    hostRoles: HostRole[],
    canaryPercent: number | null,
  ): Promise<void> {
    const { engine, network, hostName } = this.#deps;
    const hostRole = hostRoles.find((r) => r.name === repair.role);
    switch (repair.action) {
      case 'stop-stale':
        await engine.stopContainer(repair.containerName, 10);
        return;
      case 'clear-canary':
        if (hostRole) await this.#deps.proxy.abortCanary(hostRole.routeName);
        return;
      case 'start':
        await engine.startContainer(repair.containerName);
        break;
      case 'recreate': {
        const secretEnv = await openHostSecrets(this.#deps, manifest);
        await engine.removeContainer(repair.containerName);
        const id = await engine.createContainer(
          containerSpecFor({ manifest, role: repair.role, host: hostName, secretEnv, network }),
        );
        await engine.startContainer(id);
        break;
      }
      case 'route':
      case 'route-canary':
        break;
    }
    if (!hostRole?.role.proxy) return;
    if (repair.release === 'canary' && canaryPercent !== null) {
      await pointCanarySlot(this.#deps, hostRole, repair.containerName, manifest, canaryPercent);
    } else await this.#route(hostRole, repair.containerName, manifest);
  }

  async #route(
    hostRole: HostRole,
    containerName: string,
    manifest: ReleaseManifest,
  ): Promise<void> {
    const settings = hostRole.role.proxy;
    if (!settings) return;
    const info = await this.#deps.engine.inspectContainer(containerName, this.#deps.network);
    if (!info?.ipAddress) return;
    const target = targetAddress(info.ipAddress, settings.appPort);
    await this.#deps.proxy.checkTarget({
      target,
      healthCheck: settings.healthCheck,
      timeoutMs: manifest.deployTimeoutMs,
    });
    const secrets = settings.tls ? await openHostSecrets(this.#deps, manifest) : {};
    await this.#deps.proxy.switchService(
      hostRole.routeName,
      routeRequestFor(settings, target, secrets, manifest.errorPages),
    );
  }
}
