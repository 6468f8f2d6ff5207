import { describe, expect, it } from 'vitest';
import { planRepairs } from '../../../agent/reconciler/repair-plan.ts';
import { rolesOnHost } from '../../../agent/deployer/host-plan.ts';
import type { ContainerInfo } from '../../../agent/docker/container-engine.ts';
import type { ServiceRoute } from '../../../agent/proxy/admin-protocol.ts';
import { releaseManifestFixture } from '../../fixtures/release-manifest.ts';

const manifest = releaseManifestFixture();
const hostName = Object.values(manifest.roles)[0]?.hosts[0] ?? '';
const hostRoles = rolesOnHost(manifest, hostName).filter((r) => r.role.proxy !== null);
const webRole = hostRoles[0];
const appPort = webRole?.role.proxy?.appPort ?? 0;
const liveName = `${manifest.service}-${webRole?.name}-${manifest.version}-${hostName}-${manifest.sequence}`;

function container(name: string, overrides: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: `id-${name}`,
    name,
    image: manifest.image,
    state: 'running',
    health: null,
    ipAddress: '172.30.0.5',
    labels: { 'berth.role': webRole?.name ?? '', 'berth.sequence': String(manifest.sequence) },
    createdAt: new Date(0),
    exitCode: null,
    ...overrides,
  };
}

function route(target: string): ServiceRoute {
  return {
    service: webRole?.routeName ?? '',
    hosts: [],
    pathPrefix: '/',
    stripPathPrefix: true,
    target,
    healthCheckPath: '/up',
    responseTimeoutMs: 30_000,
  };
}

describe('planRepairs', () => {
  it('does nothing when the live container runs and the proxy points at it', () => {
    expect(
      planRepairs({
        manifest,
        hostRoles,
        hostName,
        containers: [container(liveName)],
        routes: [route(`172.30.0.5:${appPort}`)],
      }),
    ).toEqual([]);
  });

  it('recreates a missing container, starts an exited one, re-routes a moved one', () => {
    expect(
      planRepairs({ manifest, hostRoles, hostName, containers: [], routes: [] }).map(
        (r) => r.action,
      ),
    ).toEqual(['recreate']);
    expect(
      planRepairs({
        manifest,
        hostRoles,
        hostName,
        containers: [container(liveName, { state: 'exited', ipAddress: null })],
        routes: [],
      }).map((r) => r.action),
    ).toEqual(['start']);
    const moved = planRepairs({
      manifest,
      hostRoles,
      hostName,
      containers: [container(liveName, { ipAddress: '172.30.0.9' })],
      routes: [route(`172.30.0.5:${appPort}`)],
    });
    expect(moved).toEqual([
      expect.objectContaining({
        action: 'route',
        reason: `proxy routes to 172.30.0.5:${appPort}, container is at 172.30.0.9:${appPort}`,
      }),
    ]);
  });

  it('stops a running container of a release that is not live', () => {
    const stale = container(`${manifest.service}-${webRole?.name}-old-1`, {
      labels: { 'berth.role': 'web', 'berth.sequence': '1' },
    });
    const repairs = planRepairs({
      manifest,
      hostRoles,
      hostName,
      containers: [container(liveName), stale],
      routes: [route(`172.30.0.5:${appPort}`)],
    });
    expect(repairs).toEqual([
      expect.objectContaining({
        action: 'stop-stale',
        containerName: stale.name,
        reason: 'release 1 is not live',
      }),
    ]);
  });
});
