import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import type { AgentStore } from '../state/agent-store.ts';
import { CANARY_STATE, type Deployment } from '../state/deployment.ts';
import { planCanary, type CanaryPlan } from './canary-decision.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { targetAddress, type HostRole } from './host-plan.ts';
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

export function deploymentOf(store: AgentStore, id: number): Deployment {
  const deployment = store.deployment(id);
  if (!deployment) throw new BerthError('NOT_FOUND', `deployment ${id} does not exist`);
  return deployment;
}

export async function runningContainersOf(
  deps: DeployerDeps,
  deployment: Deployment,
): Promise<ContainerInfo[]> {
  const containers = await deps.engine.listContainers(
    { 'berth.service': deployment.service, 'berth.sequence': String(deployment.sequence) },
    deps.network,
  );
  return containers.filter((c) => c.state === 'running');
}

export function targetOfInfo(container: ContainerInfo, hostRole: HostRole): string | null {
  const appPort = hostRole.role.proxy?.appPort;
  return container.ipAddress && appPort ? targetAddress(container.ipAddress, appPort) : null;
}
