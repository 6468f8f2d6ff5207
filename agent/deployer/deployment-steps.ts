import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { containerSpecFor } from '../docker/container-spec.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import type { DeploymentState, TerminalState } from '../state/deployment.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { routeRequestFor, targetAddress, type HostRole } from './host-plan.ts';
import { openHostSecrets } from './host-secrets.ts';
import { registryCredentialsFrom } from '../../shared/secrets/registry-credentials.ts';
import { pullImage } from './pull-image.ts';
import { waitUntilReady } from './readiness.ts';
import { decodeStoredManifest } from './stored-manifest.ts';

/** A new container of the release being deployed. */
export interface Candidate {
  hostRole: HostRole;
  containerId: string;
  containerName: string;
}

/** Records the step before it acts; in fault-injection tests only, dies right after, as a crash would. */
export function enterStep(
  deps: DeployerDeps,
  id: number,
  step: Exclude<DeploymentState, TerminalState>,
  message: string,
): void {
  deps.store.transition(id, step, message);
  if (deps.crashAfterStep === step) process.kill(process.pid, 'SIGKILL');
}

export async function pull(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
): Promise<void> {
  enterStep(deps, id, 'pulling', `pulling ${manifest.image}`);
  const credentials = registryCredentialsFrom(await openHostSecrets(deps, manifest));
  await pullImage(deps, id, manifest.image, credentials);
}

/** Creates and starts one container per role; names are per release, so a resumed run finds its own. */
export async function startCandidates(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  hostRoles: HostRole[],
): Promise<Candidate[]> {
  const { store, engine, network, hostName } = deps;
  enterStep(deps, id, 'starting', `starting ${hostRoles.map((r) => r.name).join(', ')}`);
  await engine.ensureNetwork(network);
  const secretEnv = await openHostSecrets(deps, manifest);
  const candidates: Candidate[] = [];
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
  return candidates;
}

/** Proxied roles: the proxy polls the health path. Others: Docker's health or a steady running state. */
export async function checkCandidates(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  candidates: Candidate[],
): Promise<void> {
  enterStep(deps, id, 'checking', 'waiting for the new containers to be healthy');
  await Promise.all(
    candidates.map(async ({ hostRole, containerId, containerName }) => {
      const settings = hostRole.role.proxy;
      if (settings) {
        const target = await targetOf(deps, containerId, settings.appPort);
        await deps.proxy.checkTarget({
          target,
          healthCheck: settings.healthCheck,
          timeoutMs: manifest.deployTimeoutMs,
        });
      } else {
        await waitUntilReady(deps.engine, containerId, {
          network: deps.network,
          timeoutMs: manifest.deployTimeoutMs,
          sleep: deps.sleep,
          now: deps.now,
        });
      }
      deps.store.recordEvent(id, 'checking', `${containerName} is healthy`, {
        role: hostRole.name,
      });
    }),
  );
}

export async function switchProxy(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  candidates: Candidate[],
): Promise<void> {
  enterStep(deps, id, 'switching', 'moving new requests to the new containers');
  const secrets = candidates.some((c) => c.hostRole.role.proxy?.tls)
    ? await openHostSecrets(deps, manifest)
    : {};
  for (const { hostRole, containerId } of candidates) {
    const settings = hostRole.role.proxy;
    if (!settings) continue;
    const target = await targetOf(deps, containerId, settings.appPort);
    const { previousTarget } = await deps.proxy.switchService(
      hostRole.routeName,
      routeRequestFor(settings, target, secrets, manifest.errorPages),
    );
    deps.store.recordEvent(id, 'switching', `${hostRole.routeName} → ${target}`, {
      role: hostRole.name,
      data: { target, previousTarget },
    });
  }
}

/**
 * Drains every other running container of the service, then stops it (kept for rollback).
 * Found from Docker, not memory, so a resumed run finishes what a crashed one started.
 */
export async function drainAndStopPrevious(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  keep: readonly { containerId: string }[],
): Promise<void> {
  const { engine, network } = deps;
  enterStep(deps, id, 'draining', 'draining and stopping the previous containers');
  const keepIds = new Set(keep.map((c) => c.containerId));
  const running = (
    await engine.listContainers({ 'berth.service': manifest.service }, network)
  ).filter((c) => c.state === 'running' && !keepIds.has(c.id));
  await drainAndStop(deps, id, manifest, running);
}

/** Drains each container's proxy target (when its role is proxied), then stops it; it is kept for rollback. */
export async function drainAndStop(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  containers: readonly ContainerInfo[],
): Promise<void> {
  const { store, engine, proxy } = deps;
  await Promise.all(
    containers.map(async (old) => {
      const role = old.labels['berth.role'] ?? '';
      const appPort = appPortOf(deps, manifest.service, old);
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
      await engine.stopContainer(
        old.id,
        Math.ceil((manifest.roles[role]?.stopTimeoutMs ?? 10_000) / 1000),
      );
      store.recordEvent(id, 'draining', `stopped ${old.name}`, { role });
    }),
  );
}

/** The app port of a container's own release (it may differ from the new release's); null if not proxied. */
function appPortOf(deps: DeployerDeps, service: string, container: ContainerInfo): number | null {
  const release = deps.store.release(service, Number(container.labels['berth.sequence']));
  if (!release) return null;
  return (
    decodeStoredManifest(release.jws).roles[container.labels['berth.role'] ?? '']?.proxy?.appPort ??
    null
  );
}

export async function targetOf(
  deps: DeployerDeps,
  containerId: string,
  appPort: number,
): Promise<string> {
  const info = await deps.engine.inspectContainer(containerId, deps.network);
  if (!info?.ipAddress) {
    throw new BerthError(
      'CONTAINER_FAILED',
      `container ${containerId.slice(0, 12)} has no address on ${deps.network}`,
    );
  }
  return targetAddress(info.ipAddress, appPort);
}
