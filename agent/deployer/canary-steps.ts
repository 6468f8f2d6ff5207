import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import type { AgentStore } from '../state/agent-store.ts';
import { CANARY_STATE, type Deployment } from '../state/deployment.ts';
import { planCanary, type CanaryPlan } from './canary-decision.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import {
  drainAndStop,
  drainAndStopPrevious,
  enterStep,
  targetOf,
  type Candidate,
} from './deployment-steps.ts';
import { rolesOnHost, routeRequestFor, targetAddress, type HostRole } from './host-plan.ts';
import { openHostSecrets } from './host-secrets.ts';
import { decodeStoredManifest } from './stored-manifest.ts';

/** The service's deployment parked in `canary`, if any. */
export function parkedCanary(store: AgentStore, service: string): Deployment | null {
  return (
    store.unfinishedDeployments().find((d) => d.service === service && d.state === CANARY_STATE) ??
    null
  );
}

export function manifestOf(store: AgentStore, deployment: Deployment): ReleaseManifest {
  const release = store.release(deployment.service, deployment.sequence);
  if (!release) {
    throw new BerthError(
      'NOT_FOUND',
      `release ${deployment.sequence} of ${deployment.service} is not stored here`,
    );
  }
  return decodeStoredManifest(release.jws);
}

/** The plan for `manifest` on this host; `rerun` for a stored release deployed again. */
export function canaryPlanFor(
  store: AgentStore,
  manifest: ReleaseManifest,
  rerun: boolean,
): CanaryPlan {
  const parked = parkedCanary(store, manifest.service);
  return planCanary(manifest, {
    parked,
    parkedImage: parked ? manifestOf(store, parked).image : null,
    liveSequence: store.service(manifest.service)?.liveSequence ?? null,
    rerun,
  });
}

/** After the health check: `percent` of clients go to the candidates; the deployment parks in `canary`. */
export async function parkCanary(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  candidates: Candidate[],
  percent: number,
): Promise<void> {
  enterStep(deps, id, CANARY_STATE, `${percent}% of clients go to ${manifest.version}`);
  const proxied = candidates.filter((c) => c.hostRole.role.proxy);
  try {
    for (const { hostRole, containerId } of proxied) {
      const target = await pointCanarySlot(deps, hostRole, containerId, manifest, percent);
      deps.store.recordEvent(id, CANARY_STATE, `${hostRole.routeName}: ${percent}% → ${target}`, {
        role: hostRole.name,
        data: { target, percent },
      });
    }
  } catch (error) {
    for (const { hostRole } of proxied)
      await deps.proxy.abortCanary(hostRole.routeName).catch(() => undefined);
    throw error;
  }
}

/**
 * Points a proxied role's canary slot at the container (checked healthy first); returns the
 * target. The deployer parks with it, the reconciler and a restart restore with it.
 */
export async function pointCanarySlot(
  deps: DeployerDeps,
  hostRole: HostRole,
  container: string,
  manifest: ReleaseManifest,
  percent: number,
): Promise<string> {
  const settings = hostRole.role.proxy;
  if (!settings) throw new BerthError('INTERNAL', `role ${hostRole.name} has no proxy`);
  const target = await targetOf(deps, container, settings.appPort);
  await deps.proxy.checkTarget({
    target,
    healthCheck: settings.healthCheck,
    timeoutMs: manifest.deployTimeoutMs,
  });
  await deps.proxy.setCanary(hostRole.routeName, { target, percent });
  return target;
}

/** After an agent restart: a proxy that lost the canary slot gets it back. */
export async function restoreCanarySlots(deps: DeployerDeps, canary: Deployment): Promise<void> {
  const manifest = manifestOf(deps.store, canary);
  const percent = manifest.canary?.percent ?? 0;
  const [routes, containers] = await Promise.all([
    deps.proxy.listServiceStates(),
    runningContainersOf(deps, canary),
  ]);
  for (const hostRole of rolesOnHost(manifest, deps.hostName)) {
    const container = containers.find((c) => c.labels['berth.role'] === hostRole.name);
    const slot = routes.find((r) => r.service === hostRole.routeName)?.canary;
    if (!hostRole.role.proxy || !container) continue;
    if (slot?.percent === percent && slot.target === targetOfInfo(container, hostRole)) continue;
    await pointCanarySlot(deps, hostRole, container.id, manifest, percent);
  }
}

/**
 * Promotion release `id` makes parked `canary` live: the canary becomes each route's main
 * target, the previous containers drain and stop, and the canary's containers stay (the live
 * pointer moves to the canary's release). Idempotent, so a resumed promotion finishes.
 */
export async function promoteParkedCanary(
  deps: DeployerDeps,
  id: number,
  canary: Deployment,
): Promise<void> {
  const { store, proxy } = deps;
  const manifest = manifestOf(store, canary);
  const what = `canary ${manifest.version} (release ${canary.sequence})`;
  enterStep(deps, id, 'switching', `promoting ${what}: every client goes to it`);
  store.recordEvent(
    canary.id,
    CANARY_STATE,
    `promotion release ${deploymentOf(store, id).sequence} makes it live`,
  );
  const [routes, containers] = await Promise.all([
    proxy.listServiceStates(),
    runningContainersOf(deps, canary),
  ]);
  const hostRoles = rolesOnHost(manifest, deps.hostName);
  for (const hostRole of hostRoles) {
    const container = containers.find((c) => c.labels['berth.role'] === hostRole.name);
    if (!container) {
      throw new BerthError(
        'CONTAINER_FAILED',
        `the ${hostRole.name} container of ${what} is not running`,
        { hint: 'wait a few seconds for the agent to restart it, then promote again' },
      );
    }
    const settings = hostRole.role.proxy;
    if (!settings) continue;
    const target = await targetOf(deps, container.id, settings.appPort);
    const route = routes.find((r) => r.service === hostRole.routeName);
    if (route?.target === target) continue;
    if (route?.canary?.target === target) await proxy.promoteCanary(hostRole.routeName);
    else {
      const secrets = settings.tls ? await openHostSecrets(deps, manifest) : {};
      await proxy.switchService(hostRole.routeName, routeRequestFor(settings, target, secrets));
    }
    store.recordEvent(id, 'switching', `${hostRole.routeName} → ${target}`, {
      role: hostRole.name,
      data: { target, previousTarget: route?.target ?? null },
    });
  }
  await drainAndStopPrevious(
    deps,
    id,
    manifest,
    containers.map((c) => ({ containerId: c.id })),
  );
  store.transaction(() => {
    store.completeDeployment(canary.id, `promoted: ${manifest.version} is live`);
    store.completeDeployment(id, `promoted ${what}; ${manifest.version} is live`, {
      liveSequence: canary.sequence,
    });
  });
}

/** Abort release `id`: everyone goes back to the live release; the canary drains and stops. */
export async function abortParkedCanary(
  deps: DeployerDeps,
  id: number,
  canary: Deployment,
): Promise<void> {
  const { store } = deps;
  const canaryVersion = manifestOf(store, canary).version;
  enterStep(deps, id, 'switching', `aborting canary ${canaryVersion} (release ${canary.sequence})`);
  const reason = `aborted by release ${deploymentOf(store, id).sequence}`;
  await stopCanary(deps, id, canary, { reason, steps: true }, () => {
    const live = store.service(canary.service)?.liveSequence ?? undefined;
    store.completeDeployment(
      id,
      `canary ${canaryVersion} aborted; the live release serves everyone`,
      {
        liveSequence: live,
      },
    );
  });
}

/** Before another release deploys: the parked canary stops, as an abort would. */
export async function replaceParkedCanary(
  deps: DeployerDeps,
  id: number,
  canary: Deployment,
): Promise<void> {
  const sequence = deploymentOf(deps.store, id).sequence;
  deps.store.recordEvent(
    id,
    'received',
    `stopping the running canary (release ${canary.sequence}) first`,
  );
  const reason = `replaced by release ${sequence}`;
  await stopCanary(deps, id, canary, { reason, steps: false }, () => undefined);
}

/**
 * Clears the canary slot of each route, drains and stops the canary's containers, then records
 * the canary `rolled_back` together with whatever `finish` records, in one transaction.
 * With `steps`, deployment `id` moves through switching and draining; else it only logs events.
 */
async function stopCanary(
  deps: DeployerDeps,
  id: number,
  canary: Deployment,
  { reason, steps }: { reason: string; steps: boolean },
  finish: () => void,
): Promise<void> {
  const { store, proxy } = deps;
  const manifest = manifestOf(store, canary);
  store.recordEvent(canary.id, CANARY_STATE, `${reason}; stopping it`);
  for (const hostRole of rolesOnHost(manifest, deps.hostName)) {
    if (!hostRole.role.proxy) continue;
    const { previousCanaryTarget } = await proxy.abortCanary(hostRole.routeName);
    store.recordEvent(
      id,
      steps ? 'switching' : 'received',
      `${hostRole.routeName}: no canary (was ${previousCanaryTarget ?? 'none'})`,
      { role: hostRole.name },
    );
  }
  const draining = `draining and stopping canary ${manifest.version}`;
  if (steps) enterStep(deps, id, 'draining', draining);
  else store.recordEvent(id, 'received', draining);
  await drainAndStop(deps, id, manifest, await runningContainersOf(deps, canary));
  store.transaction(() => {
    store.endDeployment(canary.id, 'rolled_back', {
      code: 'CANARY_ABORTED',
      message: `canary ${manifest.version} ${reason}`,
      details: [],
    });
    finish();
  });
}

function deploymentOf(store: AgentStore, id: number): Deployment {
  const deployment = store.deployment(id);
  if (!deployment) throw new BerthError('NOT_FOUND', `deployment ${id} does not exist`);
  return deployment;
}

async function runningContainersOf(
  deps: DeployerDeps,
  deployment: Deployment,
): Promise<ContainerInfo[]> {
  const containers = await deps.engine.listContainers(
    { 'berth.service': deployment.service, 'berth.sequence': String(deployment.sequence) },
    deps.network,
  );
  return containers.filter((c) => c.state === 'running');
}

function targetOfInfo(container: ContainerInfo, hostRole: HostRole): string | null {
  const appPort = hostRole.role.proxy?.appPort;
  return container.ipAddress && appPort ? targetAddress(container.ipAddress, appPort) : null;
}
