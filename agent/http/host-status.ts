import type { AgentRoleStatus, AgentStatus } from '../../shared/api/agent-api.ts';
import { rolesOnHost } from '../deployer/host-plan.ts';
import { decodeStoredManifest } from '../deployer/stored-manifest.ts';
import { manifestOf, parkedCanary } from '../deployer/canary-lookup.ts';
import { CANARY_STATE } from '../state/deployment.ts';
import type { HttpDeps } from './http-deps.ts';

/** Per service and role on this host: the live release, the latest deployment's state, container health. */
export async function describeHost(deps: HttpDeps): Promise<AgentStatus> {
  const rows: AgentRoleStatus[] = [];
  const sequences: Record<string, { live: number | null; highest: number }> = {};
  for (const service of deps.store.services()) {
    sequences[service.service] = { live: service.liveSequence, highest: service.highestSequence };
    const latest = deps.store.latestDeployment(service.service);
    const containers = await deps.engine.listContainers(
      { 'berth.service': service.service },
      deps.network,
    );
    const live =
      service.liveSequence === null
        ? null
        : deps.store.release(service.service, service.liveSequence);
    const manifest = live ? decodeStoredManifest(live.jws) : null;
    const canary = parkedCanary(deps.store, service.service);
    const settled = !latest || latest.state === 'done' || latest.id === canary?.id;
    const state = settled ? (live ? 'live' : 'none') : latest.state;
    for (const { name } of manifest ? rolesOnHost(manifest, deps.hostName) : []) {
      const container = containers.find(
        (c) =>
          c.labels['berth.role'] === name &&
          c.labels['berth.sequence'] === String(service.liveSequence),
      );
      rows.push({
        service: service.service,
        role: name,
        version: manifest?.version ?? null,
        sequence: service.liveSequence,
        state,
        health: container ? (container.health ?? container.state) : 'missing',
        since: service.liveSince,
        container: container?.name ?? null,
      });
    }
    const canaryManifest = canary ? manifestOf(deps.store, canary) : null;
    for (const { name } of canary && canaryManifest
      ? rolesOnHost(canaryManifest, deps.hostName)
      : []) {
      const container = containers.find(
        (c) =>
          c.labels['berth.role'] === name &&
          c.labels['berth.sequence'] === String(canary?.sequence),
      );
      rows.push({
        service: service.service,
        role: name,
        version: canaryManifest?.version ?? null,
        sequence: canary?.sequence ?? null,
        state: CANARY_STATE,
        health: container ? (container.health ?? container.state) : 'missing',
        since: canary?.updatedAt ?? null,
        container: container?.name ?? null,
        ...(canaryManifest?.canary ? { canaryPercent: canaryManifest.canary.percent } : {}),
      });
    }
    if (!manifest && latest) {
      rows.push({
        service: service.service,
        role: '-',
        version: null,
        sequence: null,
        state,
        health: 'none',
        since: null,
        container: null,
      });
    }
  }
  return { host: deps.hostName, fleet: deps.fleet, services: rows, sequences };
}
