import { BerthError } from '../../shared/errors.ts';
import { CANARY_STATE, type Deployment } from '../state/deployment.ts';
import { deploymentOf, manifestOf, runningContainersOf } from './canary-lookup.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { drainAndStop, drainAndStopPrevious, enterStep, targetOf } from './deployment-steps.ts';
import { rolesOnHost, routeRequestFor } from './host-plan.ts';
import { openHostSecrets } from './host-secrets.ts';

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
    if (route?.target === target) {
      if (route.canary) await proxy.abortCanary(hostRole.routeName);
      continue;
    }
    if (route?.canary?.target === target) await proxy.promoteCanary(hostRole.routeName);
    else {
      // The proxy lost the slot or holds a stale one: switch, then empty the slot.
      const secrets = settings.tls ? await openHostSecrets(deps, manifest) : {};
      await proxy.switchService(
        hostRole.routeName,
        routeRequestFor(settings, target, secrets, manifest.errorPages),
      );
      if (route?.canary) await proxy.abortCanary(hostRole.routeName);
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
