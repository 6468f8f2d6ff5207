import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { CANARY_STATE, type Deployment } from '../state/deployment.ts';
import { manifestOf, runningContainersOf, targetOfInfo } from './canary-lookup.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { enterStep, targetOf, type Candidate } from './deployment-steps.ts';
import { rolesOnHost, type HostRole } from './host-plan.ts';

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
