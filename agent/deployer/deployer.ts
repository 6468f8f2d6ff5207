import { BerthError, isBerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { containerSpecFor } from '../docker/container-spec.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import type { Deployment, DeploymentStep } from '../state/deployment.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { rolesOnHost, targetAddress, type HostRole } from './host-plan.ts';
import { pullImage } from './pull-image.ts';
import { openHostSecrets } from './host-secrets.ts';
import { waitUntilReady } from './readiness.ts';
import { pruneReleases } from './prune-releases.ts';
import { decodeStoredManifest } from './stored-manifest.ts';

/** A deployment interrupted this many times (agent crashes) is rolled back instead of resumed. */
export const MAX_DEPLOY_ATTEMPTS = 3;
const LOG_LINES_ON_FAILURE = 20;

interface Candidate {
  hostRole: HostRole;
  containerId: string;
  containerName: string;
}

/**
 * Carries one release out on this host: pull → start → check → switch → drain → done.
 * Each step is recorded before it acts and is idempotent, so a deployment interrupted by a
 * crash is simply run again from the top by `resume`.
 */
export class Deployer {
  readonly #deps: DeployerDeps;
  readonly #running = new Map<number, Promise<void>>();

  constructor(deps: DeployerDeps) {
    this.#deps = deps;
  }

  /** Opens a deployment for a verified release and starts it in the background. */
  start(manifest: ReleaseManifest, jws: string): Deployment {
    const { store, locks } = this.#deps;
    if (!locks.tryAcquire(manifest.service)) {
      throw new BerthError(
        'DEPLOY_IN_PROGRESS',
        `a deployment of ${manifest.service} is already running on this host`,
      );
    }
    try {
      const previous = store.service(manifest.service)?.liveSequence ?? null;
      const deployment = store.acceptRelease(
        {
          service: manifest.service,
          sequence: manifest.sequence,
          version: manifest.version,
          image: manifest.image,
          issuedBy: manifest.issuedBy,
          jws,
          receivedAt: '',
        },
        previous,
      );
      this.#launch(deployment.id);
      return deployment;
    } catch (error) {
      locks.release(manifest.service);
      throw error;
    }
  }

  /** Picks up deployments a crash interrupted: resumes them, or rolls back after MAX_DEPLOY_ATTEMPTS. */
  async resumeUnfinished(): Promise<void> {
    for (const deployment of this.#deps.store.unfinishedDeployments()) {
      if (!this.#deps.locks.tryAcquire(deployment.service)) continue;
      const attempt = this.#deps.store.startAttempt(deployment.id);
      this.#deps.logger.warn(
        { deployment: deployment.id, state: deployment.state, attempt },
        'resuming interrupted deployment',
      );
      if (attempt > MAX_DEPLOY_ATTEMPTS) {
        await this.#rollBackInterrupted(deployment);
        this.#deps.locks.release(deployment.service);
        continue;
      }
      this.#deps.store.recordEvent(
        deployment.id,
        deployment.state,
        `agent restarted; resuming (attempt ${attempt})`,
      );
      this.#launch(deployment.id);
    }
  }

  /** Resolves when the given deployment (or every running one) has finished; for shutdown and tests. */
  async settled(id?: number): Promise<void> {
    const pending = id === undefined ? [...this.#running.values()] : [this.#running.get(id)];
    await Promise.all(pending);
  }

  #launch(id: number): void {
    const run = this.#run(id).finally(() => {
      this.#running.delete(id);
    });
    this.#running.set(id, run);
  }

  async #run(id: number): Promise<void> {
    const { store, logger } = this.#deps;
    const deployment = store.deployment(id);
    if (!deployment) return;
    const release = store.release(deployment.service, deployment.sequence);
    if (!release) return;
    const manifest = decodeStoredManifest(release.jws);
    const hostRoles = rolesOnHost(manifest, this.#deps.hostName);
    const candidates: Candidate[] = [];
    let switched = false;
    try {
      await this.#pull(id, manifest);
      await this.#startCandidates(id, manifest, hostRoles, candidates);
      await this.#checkCandidates(id, manifest, candidates);
      switched = true;
      await this.#switchProxy(id, candidates);
      await this.#drainAndStopPrevious(id, manifest, candidates);
      store.completeDeployment(id, `${manifest.version} is live`);
      logger.info(
        { deployment: id, service: manifest.service, version: manifest.version },
        'deployment done',
      );
      await pruneReleases(this.#deps, manifest).catch((error: unknown) => {
        logger.warn({ err: error, service: manifest.service }, 'pruning old releases failed');
      });
    } catch (error) {
      await this.#fail(id, manifest, candidates, error, switched);
    } finally {
      this.#deps.locks.release(deployment.service);
    }
  }

  async #pull(id: number, manifest: ReleaseManifest): Promise<void> {
    this.#enter(id, 'pulling', `pulling ${manifest.image}`);
    await pullImage(this.#deps, id, manifest.image);
  }

  async #startCandidates(
    id: number,
    manifest: ReleaseManifest,
    hostRoles: HostRole[],
    candidates: Candidate[],
  ): Promise<void> {
    const { store, engine, network, hostName } = this.#deps;
    this.#enter(id, 'starting', `starting ${hostRoles.map((r) => r.name).join(', ')}`);
    await engine.ensureNetwork(network);
    const secretEnv = await openHostSecrets(this.#deps, manifest);
    for (const hostRole of hostRoles) {
      const spec = containerSpecFor({
        manifest,
        role: hostRole.name,
        host: hostName,
        secretEnv,
        network,
      });
      const containerId = await engine.createContainer(spec);
      candidates.push({ hostRole, containerId, containerName: spec.name });
      await engine.startContainer(containerId);
      store.recordEvent(id, 'starting', `started ${spec.name}`, {
        role: hostRole.name,
        data: { container: spec.name },
      });
    }
  }

  async #checkCandidates(
    id: number,
    manifest: ReleaseManifest,
    candidates: Candidate[],
  ): Promise<void> {
    const { store, engine, proxy, network } = this.#deps;
    this.#enter(id, 'checking', 'waiting for the new containers to be healthy');
    await Promise.all(
      candidates.map(async ({ hostRole, containerId, containerName }) => {
        const proxySettings = hostRole.role.proxy;
        if (proxySettings) {
          const target = await this.#targetOf(containerId, proxySettings.appPort);
          await proxy.checkTarget({
            target,
            healthCheck: proxySettings.healthCheck,
            timeoutMs: manifest.deployTimeoutMs,
          });
        } else {
          await waitUntilReady(engine, containerId, {
            network,
            timeoutMs: manifest.deployTimeoutMs,
            sleep: this.#deps.sleep,
            now: this.#deps.now,
          });
        }
        store.recordEvent(id, 'checking', `${containerName} is healthy`, { role: hostRole.name });
      }),
    );
  }

  async #switchProxy(id: number, candidates: Candidate[]): Promise<void> {
    const { store, proxy } = this.#deps;
    this.#enter(id, 'switching', 'moving new requests to the new containers');
    for (const { hostRole, containerId } of candidates) {
      const settings = hostRole.role.proxy;
      if (!settings) continue;
      const target = await this.#targetOf(containerId, settings.appPort);
      const { previousTarget } = await proxy.switchService(hostRole.routeName, {
        hosts: settings.hosts,
        pathPrefix: settings.pathPrefix,
        stripPathPrefix: settings.stripPathPrefix,
        target,
        healthCheckPath: settings.healthCheck.path,
        responseTimeoutMs: settings.responseTimeoutMs,
      });
      store.recordEvent(id, 'switching', `${hostRole.routeName} → ${target}`, {
        role: hostRole.name,
        data: { target, previousTarget },
      });
    }
  }

  async #drainAndStopPrevious(
    id: number,
    manifest: ReleaseManifest,
    candidates: Candidate[],
  ): Promise<void> {
    const { store, engine, proxy, network } = this.#deps;
    this.#enter(id, 'draining', 'draining and stopping the previous containers');
    const keep = new Set(candidates.map((c) => c.containerId));
    const running = (
      await engine.listContainers({ 'berth.service': manifest.service }, network)
    ).filter((c) => c.state === 'running' && !keep.has(c.id));
    await Promise.all(
      running.map(async (old) => {
        const role = old.labels['berth.role'] ?? '';
        const appPort = this.#appPortOf(manifest.service, old);
        if (appPort !== null && old.ipAddress) {
          const result = await proxy.drainTarget({
            target: targetAddress(old.ipAddress, appPort),
            timeoutMs: manifest.drainTimeoutMs,
          });
          if (!result.drained) {
            store.recordEvent(
              id,
              'draining',
              `${old.name}: ${result.remaining} requests still open at the drain timeout`,
              { role },
            );
          }
        }
        await engine.stopContainer(old.id, stopTimeoutSeconds(manifest, role));
        store.recordEvent(id, 'draining', `stopped ${old.name}`, { role });
      }),
    );
  }

  async #fail(
    id: number,
    manifest: ReleaseManifest,
    candidates: Candidate[],
    error: unknown,
    switched: boolean,
  ): Promise<void> {
    const { store, engine, logger } = this.#deps;
    const berthError = isBerthError(error)
      ? error
      : new BerthError('INTERNAL', 'deployment failed unexpectedly', { cause: error });
    if (!isBerthError(error))
      logger.error({ err: error, deployment: id }, 'deployment failed with an unexpected error');
    const details: string[] = [];
    for (const candidate of candidates) {
      const lines = await engine
        .containerLogs(candidate.containerId, LOG_LINES_ON_FAILURE)
        .catch(() => []);
      if (lines.length)
        details.push(`--- last ${lines.length} log lines of ${candidate.containerName}`, ...lines);
    }
    if (switched) await this.#restorePreviousRoutes(id, manifest);
    for (const candidate of candidates) {
      await engine.stopContainer(candidate.containerId, 1).catch(() => undefined);
    }
    store.endDeployment(id, 'failed', {
      code: berthError.code,
      message: berthError.message,
      details: [...berthError.details, ...details],
    });
    logger.warn(
      { deployment: id, service: manifest.service, code: berthError.code },
      'deployment failed; previous release keeps serving',
    );
  }

  /** After a failure past the health check, points each route back at the live release's container. */
  async #restorePreviousRoutes(id: number, manifest: ReleaseManifest): Promise<void> {
    const deployment = this.#deps.store.deployment(id);
    const previousSequence = deployment?.previousSequence;
    if (!previousSequence) return;
    const previous = this.#deps.store.release(manifest.service, previousSequence);
    if (!previous) return;
    const previousManifest = decodeStoredManifest(previous.jws);
    const containers = await this.#deps.engine.listContainers(
      { 'berth.service': manifest.service, 'berth.sequence': String(previousSequence) },
      this.#deps.network,
    );
    for (const hostRole of rolesOnHost(previousManifest, this.#deps.hostName)) {
      const settings = hostRole.role.proxy;
      const container = containers.find(
        (c) => c.labels['berth.role'] === hostRole.name && c.ipAddress,
      );
      if (!settings || !container?.ipAddress) continue;
      await this.#deps.proxy
        .switchService(hostRole.routeName, {
          hosts: settings.hosts,
          pathPrefix: settings.pathPrefix,
          stripPathPrefix: settings.stripPathPrefix,
          target: targetAddress(container.ipAddress, settings.appPort),
          healthCheckPath: settings.healthCheck.path,
          responseTimeoutMs: settings.responseTimeoutMs,
        })
        .catch(() => undefined);
    }
  }

  async #rollBackInterrupted(deployment: Deployment): Promise<void> {
    const { engine, network, store } = this.#deps;
    const candidates = await engine.listContainers(
      { 'berth.service': deployment.service, 'berth.sequence': String(deployment.sequence) },
      network,
    );
    for (const container of candidates)
      await engine.stopContainer(container.id, 1).catch(() => undefined);
    store.endDeployment(deployment.id, 'rolled_back', {
      code: 'DEPLOY_INTERRUPTED',
      message: `interrupted ${MAX_DEPLOY_ATTEMPTS} times; rolled back, the previous release keeps serving`,
      details: [],
    });
  }

  /** The app port of a container's own release (it may differ from the new release's); null if not proxied. */
  #appPortOf(service: string, container: ContainerInfo): number | null {
    const sequence = Number(container.labels['berth.sequence']);
    const release = this.#deps.store.release(service, sequence);
    if (!release) return null;
    const role = container.labels['berth.role'] ?? '';
    return decodeStoredManifest(release.jws).roles[role]?.proxy?.appPort ?? null;
  }

  /** Records the step, then (in fault-injection tests only) dies right after it, as a crash would. */
  #enter(id: number, step: DeploymentStep, message: string): void {
    this.#deps.store.transition(id, step, message);
    if (this.#deps.crashAfterStep === step) process.kill(process.pid, 'SIGKILL');
  }

  async #targetOf(containerId: string, appPort: number): Promise<string> {
    const info: ContainerInfo | null = await this.#deps.engine.inspectContainer(
      containerId,
      this.#deps.network,
    );
    if (!info?.ipAddress) {
      throw new BerthError(
        'CONTAINER_FAILED',
        `container ${containerId.slice(0, 12)} has no address on ${this.#deps.network}`,
      );
    }
    return targetAddress(info.ipAddress, appPort);
  }
}

function stopTimeoutSeconds(manifest: ReleaseManifest, role: string): number {
  return Math.ceil((manifest.roles[role]?.stopTimeoutMs ?? 10_000) / 1000);
}
