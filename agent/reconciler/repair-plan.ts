import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ServiceRoute } from '../proxy/admin-protocol.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import { containerNameFor } from '../docker/container-spec.ts';
import { targetAddress, type HostRole } from '../deployer/host-plan.ts';

export interface Repair {
  action: 'start' | 'recreate' | 'route' | 'stop-stale';
  role: string;
  containerName: string;
  reason: string;
}

/**
 * Compares what should run (the live release's roles on this host) with what Docker and the
 * proxy report, and lists the repairs. Pure: the reconciler applies them.
 */
export function planRepairs(input: {
  manifest: ReleaseManifest;
  hostRoles: HostRole[];
  containers: ContainerInfo[];
  routes: ServiceRoute[];
  hostName: string;
}): Repair[] {
  const { manifest, hostRoles, containers, routes } = input;
  const repairs: Repair[] = [];
  const wanted = new Set<string>();
  for (const hostRole of hostRoles) {
    const name = containerNameFor(
      manifest.service,
      hostRole.name,
      manifest.version,
      manifest.sequence,
      input.hostName,
    );
    wanted.add(name);
    const container = containers.find((c) => c.name === name);
    if (!container) {
      repairs.push({
        action: 'recreate',
        role: hostRole.name,
        containerName: name,
        reason: 'container is missing',
      });
      continue;
    }
    if (container.state === 'dead' || container.state === 'removing') {
      repairs.push({
        action: 'recreate',
        role: hostRole.name,
        containerName: name,
        reason: `container is ${container.state}`,
      });
      continue;
    }
    if (container.state !== 'running') {
      repairs.push({
        action: 'start',
        role: hostRole.name,
        containerName: name,
        reason: `container is ${container.state}`,
      });
      continue;
    }
    const settings = hostRole.role.proxy;
    if (!settings) continue;
    const route = routes.find((r) => r.service === hostRole.routeName);
    const target = container.ipAddress
      ? targetAddress(container.ipAddress, settings.appPort)
      : null;
    if (!route || route.target !== target) {
      repairs.push({
        action: 'route',
        role: hostRole.name,
        containerName: name,
        reason: route
          ? `proxy routes to ${route.target}, container is at ${target ?? 'no address'}`
          : 'proxy has no route',
      });
    }
  }
  for (const container of containers) {
    if (container.state === 'running' && !wanted.has(container.name)) {
      repairs.push({
        action: 'stop-stale',
        role: container.labels['berth.role'] ?? '',
        containerName: container.name,
        reason: `release ${container.labels['berth.sequence'] ?? '?'} is not live`,
      });
    }
  }
  return repairs;
}
