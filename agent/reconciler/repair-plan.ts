import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ServiceState } from '../proxy/admin-protocol.ts';
import type { ContainerInfo } from '../docker/container-engine.ts';
import { containerNameFor } from '../docker/container-spec.ts';
import { targetAddress, type HostRole } from '../deployer/host-plan.ts';

export interface Repair {
  action: 'start' | 'recreate' | 'route' | 'route-canary' | 'clear-canary' | 'stop-stale';
  role: string;
  containerName: string;
  reason: string;
  /** The release the container belongs to: the live one, or the canary parked beside it. */
  release: 'live' | 'canary';
}

/** A release that should run on this host, with its roles here. */
export interface WantedRelease {
  manifest: ReleaseManifest;
  hostRoles: HostRole[];
}

/**
 * Compares what should run (the live release's roles on this host and, while one is parked,
 * the canary's) with what Docker and the proxy report, and lists the repairs. Pure: the
 * reconciler applies them.
 */
export function planRepairs(input: {
  manifest: ReleaseManifest;
  hostRoles: HostRole[];
  containers: ContainerInfo[];
  routes: ServiceState[];
  hostName: string;
  canary?: WantedRelease & { percent: number };
}): Repair[] {
  const { containers, routes, canary } = input;
  const repairs: Repair[] = [];
  const wanted = new Set<string>();
  const releases = [
    { release: 'live' as const, manifest: input.manifest, hostRoles: input.hostRoles },
    ...(canary ? [{ release: 'canary' as const, ...canary }] : []),
  ];
  for (const { release, manifest, hostRoles } of releases) {
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
      const repair = (action: Repair['action'], reason: string): void => {
        repairs.push({ action, role: hostRole.name, containerName: name, reason, release });
      };
      if (!container) {
        repair('recreate', 'container is missing');
        continue;
      }
      if (container.state === 'dead' || container.state === 'removing') {
        repair('recreate', `container is ${container.state}`);
        continue;
      }
      if (container.state !== 'running') {
        repair('start', `container is ${container.state}`);
        continue;
      }
      const settings = hostRole.role.proxy;
      if (!settings) continue;
      const route = routes.find((r) => r.service === hostRole.routeName);
      const target = container.ipAddress
        ? targetAddress(container.ipAddress, settings.appPort)
        : null;
      if (release === 'live' && (!route || route.target !== target)) {
        repair(
          'route',
          route
            ? `proxy routes to ${route.target}, container is at ${target ?? 'no address'}`
            : 'proxy has no route',
        );
      } else if (release === 'live' && route?.canary && !canary) {
        repair('clear-canary', `proxy sends ${route.canary.percent}% to a canary that ended`);
      } else if (
        release === 'canary' &&
        (route?.canary?.target !== target || route.canary.percent !== canary?.percent)
      ) {
        repair(
          'route-canary',
          route?.canary
            ? `canary slot is ${route.canary.percent}% → ${route.canary.target}, container is at ${target ?? 'no address'}`
            : 'proxy has no canary slot',
        );
      }
    }
  }
  for (const container of containers) {
    if (container.state === 'running' && !wanted.has(container.name)) {
      repairs.push({
        action: 'stop-stale',
        role: container.labels['berth.role'] ?? '',
        containerName: container.name,
        reason: `release ${container.labels['berth.sequence'] ?? '?'} is not live`,
        release: 'live',
      });
    }
  }
  return repairs;
}
