import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentReport, ControlReport } from '../../shared/api/controller-api.ts';
import {
  agentConfigPath,
  loadAgentConfig,
  writeAgentConfig,
} from '../../shared/config/agent-config.ts';
import { generateSigningKey, readKeyFile, type KeyPair } from '../../shared/keys/index.ts';
import type { ServiceControlInput } from '../../shared/manifest/control-schema.ts';
import { signControl } from '../../shared/manifest/control-signing.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { getText, slowRequest } from '../helpers/load.ts';
import { createPullFleet, type PullFleet } from '../helpers/pull-fleet.ts';
import type { TestHost } from '../helpers/test-fleet.ts';
import { waitFor } from '../helpers/wait-for.ts';

const service = 'controlled';
const message = 'Back at 5 pm';

/** Whether the host's app route shows the maintenance page, and its health path still answers. */
async function maintenanceOn(host: TestHost, text = message): Promise<boolean> {
  const page = await getText(`${host.proxyUrl}/version`);
  const health = await getText(`${host.proxyUrl}/up`);
  return page.status === 503 && page.body.includes(text) && health.status === 200;
}

async function isOnline(fleet: PullFleet, name: string): Promise<boolean> {
  const status = JSON.parse((await fleet.app.berth('status', '--json')).stdout) as {
    hosts: { host: string; online: boolean }[];
  };
  return status.hosts.find((h) => h.host === name)?.online ?? false;
}

describe('maintenance, pause and resume in pull mode, through the controller', () => {
  const images = inject('demoImages');
  let fleet: PullFleet;
  let web1: TestHost;
  let web2: TestHost;

  beforeAll(async () => {
    fleet = await createPullFleet({ service, hosts: 2 });
    [web1, web2] = fleet.hosts as [TestHost, TestHost];
    await fleet.app.writeConfig({
      ...demoConfig({
        service,
        repository: images.v1.repository,
        hosts: fleet.hosts.map((h) => h.name),
      }),
      controller: { url: fleet.controller.url, fingerprint: fleet.controller.fingerprint },
    });
    const deployed = await fleet.app.berth('deploy', '--version', 'v1', '--timeout', '60');
    expect(deployed.code, deployed.stderr).toBe(0);
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('puts every host in maintenance: the app answers 503 with the message, the health path 200', async () => {
    const result = await fleet.app.berth('maintenance', 'on', '--message', message);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/\[web-1\] applied/);
    expect(result.stdout).toMatch(
      new RegExp(`^web-2\\s+${service}-web\\s+maintenance: ${message}$`, 'm'),
    );
    for (const host of fleet.hosts) expect(await maintenanceOn(host)).toBe(true);
  });

  it('takes them out of maintenance, and says so in --json', async () => {
    const result = await fleet.app.berth('maintenance', 'off', '--json');
    expect(result.code, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      control: { service: string; sequence: number };
      hosts: { host: string; ok: boolean; answer: { routes: { maintenance: unknown }[] } }[];
    };
    expect(answer.control.service).toBe(service);
    expect(answer.hosts.map((h) => [h.host, h.ok, h.answer.routes[0]?.maintenance])).toEqual([
      ['web-1', true, null],
      ['web-2', true, null],
    ]);
    for (const host of fleet.hosts) {
      expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
    }
  });

  it('pauses, holding a request that goes on after resume', async () => {
    const paused = await fleet.app.berth('pause', '--max-pause', '30');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(/paused \(max 30 s\)/);
    let answered = false;
    const waiting = slowRequest(web1.proxyUrl, 1).then((answer) => {
      answered = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answered).toBe(false);
    expect((await getText(`${web1.proxyUrl}/up`)).status).toBe(200);
    const resumed = await fleet.app.berth('resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await waiting).toEqual({ status: 200, body: 'v1' });
  });

  it('records in the audit log who issued each control', async () => {
    const audit = JSON.parse((await fleet.app.berth('audit', '--json')).stdout) as {
      entries: { actor: string; action: string; detail: string }[];
    };
    const controls = audit.entries.filter((e) => e.action === 'control.publish');
    expect(controls.map((e) => e.actor)).toEqual(Array(4).fill('test@berth'));
    expect(controls.at(-1)?.detail).toMatch(
      new RegExp(`${service} #\\d+ maintenance on \\("${message}"\\) to web-1, web-2`),
    );
  });

  it('applies a control uploaded while a host is offline when it comes back, and names it meanwhile', async () => {
    await web2.stop('SIGTERM');
    await waitFor('the controller to see web-2 offline', async () =>
      (await isOnline(fleet, 'web-2')) ? undefined : true,
    );
    const result = await fleet.app.berth('maintenance', 'on', '--message', 'offline test');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[web-2\] offline; it will apply maintenance on/);
    expect(result.stderr).toMatch(/CONTROL_INCOMPLETE: .*did not apply on web-2/);
    expect(result.stdout).toMatch(
      /^web-2\s+-\s+failed: offline; it applies the control when it reconnects/m,
    );
    expect(await maintenanceOn(web1, 'offline test')).toBe(true);
    await web2.start();
    await waitFor('web-2 to apply the control it missed', async () =>
      (await maintenanceOn(web2, 'offline test')) ? true : undefined,
    );
    const off = await fleet.app.berth('maintenance', 'off');
    expect(off.code, off.stderr).toBe(0);
  });
});

/** A controller gone bad: it hands out the controls it is told to once, and records reports. */
async function startEvilController(
  controls: string[],
): Promise<{ app: FastifyInstance; url: string; fingerprint: string; reports: ControlReport[] }> {
  const certificate = await createSelfSignedCertificate({ commonName: 'evil' });
  const app = Fastify({ https: { key: certificate.keyPem, cert: certificate.certPem } });
  const reports: ControlReport[] = [];
  let pending = controls;
  app.get('/v1/agents/:name/releases', async () => {
    const answer = { releases: [], controls: pending };
    pending = [];
    return answer;
  });
  app.post('/v1/agents/:name/reports', async (request, reply) => {
    reports.push(...((request.body as AgentReport).controls ?? []));
    return reply.status(204).send();
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, fingerprint: certificate.fingerprint, reports };
}

/** The proxy's routes with their controls, and every row of the agent's database. */
async function snapshot(host: TestHost): Promise<unknown> {
  const states = await host.proxy().listServiceStates();
  const db = new Database(join(host.dataDir, 'agent.sqlite'), { readonly: true });
  try {
    const tables = ['releases', 'deployments', 'services', 'service_controls'];
    return {
      states,
      rows: tables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()),
    };
  } finally {
    db.close();
  }
}

describe('a compromised controller handing out service controls', () => {
  const images = inject('demoImages');
  let fleet: PullFleet;
  let host: TestHost;

  beforeAll(async () => {
    fleet = await createPullFleet({ service, hosts: 1 });
    host = fleet.hosts[0] as TestHost;
    await fleet.app.writeConfig({
      ...demoConfig({ service, repository: images.v1.repository, hosts: [host.name] }),
      controller: { url: fleet.controller.url, fingerprint: fleet.controller.fingerprint },
    });
    const deployed = await fleet.app.berth('deploy', '--version', 'v1', '--timeout', '60');
    expect(deployed.code, deployed.stderr).toBe(0);
    const paused = await fleet.app.berth('pause', '--max-pause', '5');
    expect(paused.code, paused.stderr).toBe(0);
    const resumed = await fleet.app.berth('resume');
    expect(resumed.code, resumed.stderr).toBe(0);
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('cannot make the agent apply a forged, replayed, expired, foreign or tampered control', async () => {
    const releaseKey = await readKeyFile(join(fleet.app.dir, 'keys', 'release.jwk'), 'Ed25519');
    const db = new Database(join(fleet.controller.dataDir, 'controller.sqlite'), {
      readonly: true,
    });
    const uploaded = db.prepare('SELECT sequence, jws FROM controls ORDER BY sequence').all() as {
      sequence: number;
      jws: string;
    }[];
    db.close();
    const [pausedControl, lastControl] = uploaded;
    if (!pausedControl || !lastControl) throw new Error('expected two uploaded controls');
    const next = lastControl.sequence + 1;
    const now = Date.now();
    const sign = (
      sequence: number,
      overrides: Partial<ServiceControlInput> = {},
      key: KeyPair = releaseKey,
    ): Promise<string> =>
      signControl(
        {
          schema: 1,
          fleet: 'default',
          service,
          hosts: [host.name],
          sequence,
          issuedAt: new Date(now - 60_000).toISOString(),
          expiresAt: new Date(now + 540_000).toISOString(),
          issuedBy: 'mallory',
          action: 'maintenance-on',
          message: 'pwned',
          ...overrides,
        },
        key,
      );
    const genuine = await sign(next + 10);
    const [header, payload, signature] = genuine.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as object;
    const tampered = [
      header,
      Buffer.from(JSON.stringify({ ...claims, message: 'tampered' })).toString('base64url'),
      signature,
    ].join('.');
    const controls = [
      await sign(next, {}, await generateSigningKey()),
      pausedControl.jws,
      await sign(next + 1, {
        expiresAt: new Date(now - 1_000).toISOString(),
        issuedAt: new Date(now - 600_000).toISOString(),
      }),
      await sign(next + 2, { fleet: 'other-fleet' }),
      tampered,
    ];

    const before = await snapshot(host);
    const evil = await startEvilController(controls);
    try {
      const path = agentConfigPath(host.dataDir);
      const config = await loadAgentConfig(path);
      expect(config.fleet).toBe('default');
      await host.stop('SIGTERM');
      await writeAgentConfig(path, {
        ...config,
        controller: { url: evil.url, fingerprint: evil.fingerprint, name: 'controller' },
      });
      await host.start();
      const reports = await waitFor('the agent to report on all five controls', async () =>
        evil.reports.length >= 5 ? evil.reports : undefined,
      );
      expect(reports.map((r) => [r.outcome, r.error?.code])).toEqual([
        ['refused', 'SIGNING_KEY_UNKNOWN'],
        ['refused', 'CONTROL_REPLAYED'],
        ['refused', 'CONTROL_EXPIRED'],
        ['refused', 'FLEET_MISMATCH'],
        ['refused', 'SIGNATURE_INVALID'],
      ]);
      expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
      expect(await snapshot(host)).toEqual(before);
      expect(await host.log()).toMatch(/service control refused/);
    } finally {
      await evil.app.close();
    }
  });
});
