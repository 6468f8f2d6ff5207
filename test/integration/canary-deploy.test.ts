import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadPrivateKey } from '../../controller/keys/key-store.ts';
import { decodeReleasePayload } from '../../controller/releases/decode-release.ts';
import { reissueRelease } from '../../controller/releases/reissue-release.ts';
import { signRelease } from '../../shared/manifest/signing.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { docker } from '../helpers/docker-cli.ts';
import { fleetSuite, operatorClient } from '../helpers/fleet-suite.ts';
import { snapshotHost } from '../helpers/host-snapshot.ts';
import { startLoad, type LoadReport } from '../helpers/load.ts';
import { createPullFleet, type PullFleet } from '../helpers/pull-fleet.ts';
import type { TestHost } from '../helpers/test-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { freshClient, versionsOfFreshClients } from '../helpers/fresh-clients.ts';

const service = 'canary';
const route = `${service}-web`;

async function runningNames(): Promise<string[]> {
  const out = await docker([
    'ps',
    '--filter',
    `label=berth.service=${service}`,
    '--format',
    '{{.Names}}',
  ]);
  return out.trim().split('\n').filter(Boolean).sort();
}

function deploymentStates(host: TestHost): { sequence: number; state: string }[] {
  const db = new Database(join(host.dataDir, 'agent.sqlite'), { readonly: true });
  try {
    return db
      .prepare<[], { sequence: number; state: string }>(
        'SELECT sequence, state FROM deployments ORDER BY id',
      )
      .all();
  } finally {
    db.close();
  }
}

function expectNoFailures(report: LoadReport): void {
  expect(report.failures).toEqual([]);
  expect(report.failed).toBe(0);
  expect(report.total).toBeGreaterThan(100);
}

interface StatusRole {
  role: string;
  version: string;
  sequence: number;
  state: string;
  canaryPercent?: number;
}

describe('canary deploys through the CLI (direct mode)', () => {
  const s = fleetSuite(service, { deploy: ['v1'] });
  let canarySequence = 0;

  it('refuses a percent outside 1..99 as a usage error', async () => {
    for (const percent of ['0', '100', '12.5', 'ten']) {
      const result = await s.app.berth('deploy', '--version', 'v2', '--canary', percent);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--canary takes a whole percent from 1 to 99');
    }
  });

  it('refuses `berth canary promote` when no canary runs', async () => {
    const result = await s.app.berth('canary', 'promote');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no canary of canary is running');
    expect(result.stderr).toContain('berth deploy --version VERSION --canary PERCENT');
  });

  it('sends 10 % of fresh clients to v2, sticky by cookie, with both containers running', async () => {
    const result = await s.app.berth('deploy', '--version', 'v2', '--canary', '10');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\[web-1\] canary\s+10% of clients go to v2/);
    expect(result.stdout).toContain('canary v2 is the canary for 10% of clients on 1 host(s)');
    const answers = await versionsOfFreshClients(s.host.proxyUrl);
    expect(Object.keys(answers).sort()).toEqual(['v1', 'v2']);
    expect(answers.v2 ?? 0).toBeGreaterThanOrEqual(70);
    expect(answers.v2 ?? 0).toBeLessThanOrEqual(130);

    const sides = new Map<string, string>();
    while (sides.size < 2) {
      const client = await freshClient(s.host.proxyUrl);
      if (!sides.has(client.version)) sides.set(client.version, client.cookie);
    }
    for (const [version, cookie] of sides) {
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${s.host.proxyUrl}/version`, { headers: { cookie } });
        expect(await response.text()).toBe(version);
      }
    }
    expect(await runningNames()).toEqual([
      expect.stringMatching(/^canary-web-v1-/),
      expect.stringMatching(/^canary-web-v2-/),
    ]);

    const status = JSON.parse((await s.app.berth('status', '--json')).stdout) as {
      hosts: { roles: StatusRole[] }[];
    };
    const roles = status.hosts[0]?.roles ?? [];
    expect(roles).toEqual([
      expect.objectContaining({ role: 'web', version: 'v1', state: 'live' }),
      expect.objectContaining({ role: 'web', version: 'v2', state: 'canary', canaryPercent: 10 }),
    ]);
    canarySequence = roles[1]?.sequence ?? 0;
    const table = await s.app.berth('status');
    expect(table.stdout).toMatch(/^web-1\s+web\s+v2\s+canary 10%\s+running/m);
    const releases = await s.app.berth('releases');
    expect(releases.stdout).toMatch(/^\d+\s+v2 \(canary 10%\)\s+sha256:/m);
  });

  it('restarts a killed canary container, replaces a removed one, and restores its share', async () => {
    const [canaryName] = (await runningNames()).filter((n) => n.startsWith('canary-web-v2-'));
    await docker(['kill', canaryName ?? '']);
    await waitFor('the killed canary container to run again', async () =>
      (await runningNames()).includes(canaryName ?? '') ? true : undefined,
    );
    await docker(['rm', '-f', canaryName ?? '']);
    await waitFor('the canary container to be replaced', async () =>
      (await runningNames()).some((n) => n.startsWith('canary-web-v2-')) ? true : undefined,
    );
    await waitFor('the canary share to be restored', async () => {
      const answers = await versionsOfFreshClients(s.host.proxyUrl, 400);
      return (answers.v2 ?? 0) >= 20 && (answers.v1 ?? 0) + (answers.v2 ?? 0) === 400
        ? answers
        : undefined;
    });
    const answers = await versionsOfFreshClients(s.host.proxyUrl);
    expect(answers.v2 ?? 0).toBeGreaterThanOrEqual(70);
    expect(answers.v2 ?? 0).toBeLessThanOrEqual(130);
  });

  it('stays parked across an agent restart, and gives a proxy that lost the slot its canary back', async () => {
    await s.host.stop('SIGTERM');
    const proxy = s.host.proxy();
    try {
      await proxy.abortCanary(route);
      await s.host.start();
      await waitFor('the canary slot to be restored', async () => {
        const states = await proxy.listServiceStates();
        return states.find((r) => r.service === route)?.canary?.percent === 10 ? true : undefined;
      });
    } finally {
      await proxy.close();
    }
    expect(deploymentStates(s.host).at(-1)).toEqual({ sequence: canarySequence, state: 'canary' });
    const answers = await versionsOfFreshClients(s.host.proxyUrl);
    expect(answers.v2 ?? 0).toBeGreaterThanOrEqual(70);
    expect(answers.v2 ?? 0).toBeLessThanOrEqual(130);
  });

  it('refuses a promotion that names another release, changing nothing', async () => {
    const client = await operatorClient(s.app, s.host);
    try {
      const { releases } = await client.releases(service, 10);
      const canary = releases.find((r) => r.sequence === canarySequence);
      const payload = decodeReleasePayload(canary?.jws ?? '');
      const now = new Date();
      const highest = Math.max(...releases.map((r) => r.sequence));
      const wrong = reissueRelease(
        payload,
        { sequence: Math.max(now.getTime(), highest + 1), now, issuedBy: 'test' },
        { promotionOf: canarySequence - 1 },
      );
      const jws = await signRelease(wrong, await loadPrivateKey(s.app.env, 'release'));
      const before = await snapshotHost(s.host, service);
      await expect(client.publish(jws)).rejects.toMatchObject({
        code: 'CANARY_NOT_RUNNING',
        message: expect.stringContaining(`the canary running here is release ${canarySequence}`),
      });
      expect(await snapshotHost(s.host, service)).toEqual(before);
    } finally {
      await client.close();
    }
  });

  it('promotes under load without a failed request: everyone on v2, v1 stopped', async () => {
    const load = startLoad(s.host.proxyUrl, { concurrency: 20 });
    let result;
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      result = await s.app.berth('canary', 'promote');
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      expectNoFailures(await load.stop());
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/promoting canary v2/);
    expect(await versionsOfFreshClients(s.host.proxyUrl, 200)).toEqual({ v2: 200 });
    expect(await runningNames()).toEqual([expect.stringMatching(/^canary-web-v2-/)]);
    const states = deploymentStates(s.host);
    expect(states.find((d) => d.sequence === canarySequence)?.state).toBe('done');
    expect(states.at(-1)?.state).toBe('done');
    const status = JSON.parse((await s.app.berth('status', '--json')).stdout) as {
      hosts: { roles: StatusRole[] }[];
    };
    expect(status.hosts[0]?.roles).toEqual([
      expect.objectContaining({ version: 'v2', state: 'live', sequence: canarySequence }),
    ]);
    const releases = JSON.parse((await s.app.berth('releases', '--json')).stdout) as {
      releases: { version: string; sequence: number; hosts: Record<string, string> }[];
    };
    expect(releases.releases.map((r) => [r.version, r.hosts['web-1']])).toEqual([
      ['v2', 'done'],
      ['v2', 'live'],
      ['v1', 'done'],
    ]);
  });

  it('aborts a second canary under load without a failed request: everyone back on v2', async () => {
    const started = await s.app.berth('deploy', '--version', 'v3', '--canary', '30');
    expect(started.code, started.stderr).toBe(0);
    const answers = await versionsOfFreshClients(s.host.proxyUrl, 300);
    expect(answers.v3 ?? 0).toBeGreaterThan(30);
    const load = startLoad(s.host.proxyUrl, { concurrency: 20 });
    let result;
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      result = await s.app.berth('canary', 'abort', service);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      expectNoFailures(await load.stop());
    }
    expect(result.code, result.stderr).toBe(0);
    expect(await versionsOfFreshClients(s.host.proxyUrl, 200)).toEqual({ v2: 200 });
    expect(await runningNames()).toEqual([expect.stringMatching(/^canary-web-v2-/)]);
    const [canary, abort] = deploymentStates(s.host).slice(-2);
    expect([canary?.state, abort?.state]).toEqual(['rolled_back', 'done']);
  });

  it('a normal deploy while a canary is parked stops the canary first, then only the new version serves', async () => {
    const started = await s.app.berth('deploy', '--version', 'v3', '--canary', '50');
    expect(started.code, started.stderr).toBe(0);
    const result = await s.app.berth('deploy', '--version', 'v1');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/stopping the running canary \(release \d+\) first/);
    expect(await versionsOfFreshClients(s.host.proxyUrl, 200)).toEqual({ v1: 200 });
    expect(await runningNames()).toEqual([expect.stringMatching(/^canary-web-v1-/)]);
    const [canary, deploy] = deploymentStates(s.host).slice(-2);
    expect([canary?.state, deploy?.state]).toEqual(['rolled_back', 'done']);
    const proxy = s.host.proxy();
    try {
      const states = await proxy.listServiceStates();
      expect(states.find((r) => r.service === route)?.canary).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });
});

describe('canary deploys in pull mode', () => {
  const images = inject('demoImages');
  let fleet: PullFleet;

  beforeAll(async () => {
    fleet = await createPullFleet({ service: 'canarypull', hosts: 1 });
    await fleet.app.writeConfig({
      ...demoConfig({
        service: 'canarypull',
        repository: images.v1.repository,
        hosts: fleet.hosts.map((h) => h.name),
      }),
      controller: { url: fleet.controller.url, fingerprint: fleet.controller.fingerprint },
    });
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('a canary release and its promotion reach the agent through the controller and take effect', async () => {
    const [host] = fleet.hosts;
    if (!host) throw new Error('no host');
    for (const args of [['v1'], ['v2', '--canary', '50']]) {
      const result = await fleet.app.berth('deploy', '--version', ...args, '--timeout', '60');
      expect(result.code, result.stderr).toBe(0);
    }
    const answers = await versionsOfFreshClients(host.proxyUrl, 200);
    expect(answers.v1 ?? 0).toBeGreaterThan(50);
    expect(answers.v2 ?? 0).toBeGreaterThan(50);
    const status = await waitFor('the controller to show the canary', async () => {
      const parsed = JSON.parse((await fleet.app.berth('status', '--json')).stdout) as {
        hosts: { roles: StatusRole[] }[];
      };
      const roles = parsed.hosts[0]?.roles ?? [];
      return roles.some((r) => r.state === 'canary') ? roles : undefined;
    });
    expect(status).toEqual([
      expect.objectContaining({ version: 'v1', state: 'live' }),
      expect.objectContaining({ version: 'v2', state: 'canary', canaryPercent: 50 }),
    ]);
    const promoted = await fleet.app.berth('canary', 'promote', '--timeout', '60');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(await versionsOfFreshClients(host.proxyUrl, 200)).toEqual({ v2: 200 });
  });
});
