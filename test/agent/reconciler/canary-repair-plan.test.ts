import { describe, expect, it } from 'vitest';
import { planRepairs } from '../../../agent/reconciler/repair-plan.ts';
import { rolesOnHost } from '../../../agent/deployer/host-plan.ts';
import type { ContainerInfo } from '../../../agent/docker/container-engine.ts';
import type { ServiceState } from '../../../agent/proxy/admin-protocol.ts';
import { releaseManifestFixture } from '../../fixtures/release-manifest.ts';

const hostName = 'app-2';
const live = releaseManifestFixture({ sequence: 41, version: 'v1' });
const canaryManifest = releaseManifestFixture({
  sequence: 42,
  version: 'v2',
  canary: { percent: 10 },
});
const liveName = `shop-web-v1-${hostName}-41`;
const canaryName = `shop-web-v2-${hostName}-42`;
const canary = {
  manifest: canaryManifest,
  hostRoles: rolesOnHost(canaryManifest, hostName),
  percent: 10,
};

function container(name: string, ip: string, sequence: number): ContainerInfo {
  return {
    id: `id-${name}`,
    name,
    image: live.image,
    state: 'running',
    health: null,
    ipAddress: ip,
    labels: { 'berth.role': 'web', 'berth.sequence': String(sequence) },
    createdAt: new Date(0),
    exitCode: null,
  };
}

function route(canarySlot?: ServiceState['canary']): ServiceState {
  return {
    service: 'shop-web',
    hosts: [],
    pathPrefix: '/',
    stripPathPrefix: true,
    target: '172.30.0.5:3000',
    healthCheckPath: '/up',
    responseTimeoutMs: 30_000,
    ...(canarySlot ? { canary: canarySlot } : {}),
  };
}

const both = [container(liveName, '172.30.0.5', 41), container(canaryName, '172.30.0.6', 42)];
const plan = (containers: ContainerInfo[], routes: ServiceState[], withCanary = true) =>
  planRepairs({
    manifest: live,
    hostRoles: rolesOnHost(live, hostName),
    containers,
    routes,
    hostName,
    ...(withCanary ? { canary } : {}),
  });

describe('planRepairs with a parked canary', () => {
  it('keeps both the live and the canary container, and repairs nothing when the slot is right', () => {
    expect(plan(both, [route({ target: '172.30.0.6:3000', percent: 10 })])).toEqual([]);
  });

  it('recreates a missing canary container and re-points a lost or moved canary slot', () => {
    expect(
      plan([both[0] as ContainerInfo], [route({ target: '172.30.0.6:3000', percent: 10 })]),
    ).toEqual([
      expect.objectContaining({ action: 'recreate', containerName: canaryName, release: 'canary' }),
    ]);
    expect(plan(both, [route()])).toEqual([
      expect.objectContaining({ action: 'route-canary', reason: 'proxy has no canary slot' }),
    ]);
    expect(plan(both, [route({ target: '172.30.0.9:3000', percent: 10 })])).toEqual([
      expect.objectContaining({ action: 'route-canary', release: 'canary' }),
    ]);
  });

  it('without a parked canary: stops its container and clears a leftover slot', () => {
    expect(plan(both, [route({ target: '172.30.0.6:3000', percent: 10 })], false)).toEqual([
      expect.objectContaining({ action: 'clear-canary', release: 'live' }),
      expect.objectContaining({ action: 'stop-stale', containerName: canaryName }),
    ]);
  });
});
