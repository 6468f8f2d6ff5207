import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { Deployment } from '../state/deployment.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { rolesOnHost } from './host-plan.ts';
import {
  checkCandidates,
  drainAndStopPrevious,
  pull,
  startCandidates,
  switchProxy,
  type Candidate,
} from './deployment-steps.ts';
import { failDeployment, rollBackInterrupted } from './deployment-failure.ts';
import { pruneReleases } from './prune-releases.ts';
import { decodeStoredManifest } from './stored-manifest.ts';
import { CANARY_STATE } from '../state/deployment.ts';
import { canaryPlanFor } from './canary-lookup.ts';
import { parkCanary, restoreCanarySlots } from './canary-slots.ts';
import { abortParkedCanary, promoteParkedCanary, replaceParkedCanary } from './canary-steps.ts';

/** A deployment interrupted this many times (agent crashes) is rolled back instead of resumed. */
export const MAX_DEPLOY_ATTEMPTS = 3;
/** A reconciler pass can include one health check; a new release waits that long for it. */
const RECONCILER_WAIT_MS = 60_000;

/**
 * Carries one release out on this host: pull → start → check → switch → drain → done.
 * Each step is recorded before it acts and is idempotent, so a deployment interrupted by a
 * crash is simply run again from the top by `resumeUnfinished`.
 */
export class Deployer {
  readonly #deps: DeployerDeps;
  readonly #running = new Map<number, Promise<void>>();

  constructor(deps: DeployerDeps) {
    this.#deps = deps;
  }

  /**
   * Opens a deployment for a verified release and starts it in the background. Waits out a
   * reconciler pass on the service; refuses while another deployment of it runs.
   */
  async start(manifest: ReleaseManifest, jws: string): Promise<Deployment> {
    const { store } = this.#deps;
    return this.#open(manifest.service, () => {
      // Refused before it is stored: a promotion or abort of another canary changes nothing.
      canaryPlanFor(store, manifest, false);
      const previous = store.service(manifest.service)?.liveSequence ?? null;
      const { service, sequence, version, image, issuedBy } = manifest;
      return store.acceptRelease(
        { service, sequence, version, image, issuedBy, jws, receivedAt: '' },
        previous,
      );
    });
  }

  /**
   * Local rollback: runs a release stored here (verified when it was received) again, as a new
   * deployment. Its containers are named per release, so the stopped ones are started again and
   * nothing is pulled. The highest sequence stays, so the release rolled away from is not re-sent.
   */
  async redeploy(service: string, sequence: number): Promise<Deployment> {
    const { store } = this.#deps;
    if (!store.release(service, sequence)) {
      throw new BerthError('NOT_FOUND', `release ${sequence} of ${service} is not stored here`);
    }
    return this.#open(service, () =>
      store.reopenRelease(service, sequence, store.service(service)?.liveSequence ?? null),
    );
  }

  /** Takes the service's lock, opens the deployment and starts it in the background. */
  async #open(service: string, openDeployment: () => Deployment): Promise<Deployment> {
    const { locks } = this.#deps;
    const acquired =
      locks.holder(service) !== 'deployment' &&
      (await locks.acquire(service, 'deployment', RECONCILER_WAIT_MS));
    if (!acquired) {
      throw new BerthError(
        'DEPLOY_IN_PROGRESS',
        `a deployment of ${service} is already running on this host`,
        {
          hint: 'wait for it to finish (`berth status`), then deploy again',
        },
      );
    }
    try {
      const deployment = openDeployment();
      this.#launch(deployment.id);
      return deployment;
    } catch (error) {
      locks.release(service);
      throw error;
    }
  }

  /** Picks up deployments a crash interrupted: resumes them, or rolls back after MAX_DEPLOY_ATTEMPTS. */
  async resumeUnfinished(): Promise<void> {
    const { store, locks, logger } = this.#deps;
    const unfinished = store.unfinishedDeployments();
    for (const deployment of unfinished) {
      if (deployment.state === CANARY_STATE) {
        // Parked, not interrupted; a newer unfinished deployment will end it anyway.
        if (!unfinished.some((d) => d.service === deployment.service && d.id > deployment.id))
          this.#track(deployment.id, this.#restoreCanary(deployment));
        continue;
      }
      if (!locks.tryAcquire(deployment.service, 'deployment')) continue;
      const attempt = store.startAttempt(deployment.id);
      logger.warn(
        { deployment: deployment.id, state: deployment.state, attempt },
        'resuming interrupted deployment',
      );
      if (attempt > MAX_DEPLOY_ATTEMPTS) {
        await rollBackInterrupted(this.#deps, deployment, MAX_DEPLOY_ATTEMPTS);
        locks.release(deployment.service);
        continue;
      }
      store.recordEvent(
        deployment.id,
        deployment.state,
        `agent restarted; resuming (attempt ${attempt})`,
      );
      this.#launch(deployment.id);
    }
  }

  /** In the background: the health check before re-pointing must not hold up the agent's start. */
  async #restoreCanary(canary: Deployment): Promise<void> {
    const { locks, logger } = this.#deps;
    if (!locks.tryAcquire(canary.service, 'deployment')) return;
    try {
      await restoreCanarySlots(this.#deps, canary);
    } catch (error) {
      logger.warn(
        { err: error, deployment: canary.id },
        'could not restore the canary; will retry',
      );
    } finally {
      locks.release(canary.service);
    }
  }

  /** Resolves when the given deployment (or every running one) has finished; for shutdown and tests. */
  async settled(id?: number): Promise<void> {
    await Promise.all(id === undefined ? [...this.#running.values()] : [this.#running.get(id)]);
  }

  #launch(id: number): void {
    this.#track(id, this.#run(id));
  }

  #track(id: number, work: Promise<void>): void {
    this.#running.set(
      id,
      work.finally(() => this.#running.delete(id)),
    );
  }

  async #run(id: number): Promise<void> {
    const deps = this.#deps;
    const deployment = deps.store.deployment(id);
    const release = deployment ? deps.store.release(deployment.service, deployment.sequence) : null;
    if (!deployment || !release) return;
    const manifest = decodeStoredManifest(release.jws);
    let candidates: Candidate[] = [];
    let switched = false;
    try {
      const rerun = deps.store.deploymentsFor(deployment.service, deployment.sequence).length > 1;
      const plan = canaryPlanFor(deps.store, manifest, rerun);
      if (plan.kind === 'promote') return await promoteParkedCanary(deps, id, plan.canary);
      if (plan.kind === 'abort') return await abortParkedCanary(deps, id, plan.canary);
      if (plan.abortFirst) await replaceParkedCanary(deps, id, plan.abortFirst);
      await pull(deps, id, manifest);
      candidates = await startCandidates(deps, id, manifest, rolesOnHost(manifest, deps.hostName));
      await checkCandidates(deps, id, manifest, candidates);
      if (plan.canaryPercent !== null)
        return await parkCanary(deps, id, manifest, candidates, plan.canaryPercent);
      switched = true;
      await switchProxy(deps, id, manifest, candidates);
      await drainAndStopPrevious(deps, id, manifest, candidates);
      deps.store.completeDeployment(id, `${manifest.version} is live`);
      deps.logger.info(
        { deployment: id, service: manifest.service, version: manifest.version },
        'deployment done',
      );
    } catch (error) {
      await failDeployment(deps, id, manifest, candidates, error, switched);
      return;
    } finally {
      deps.locks.release(deployment.service);
    }
    // Outside the lock: pruning only touches stopped containers of older releases.
    await pruneReleases(deps, manifest).catch((error: unknown) => {
      deps.logger.warn({ err: error, service: manifest.service }, 'pruning old releases failed');
    });
  }
}
