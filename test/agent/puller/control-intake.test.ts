import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployer } from '../../../agent/deployer/deployer.ts';
import { ServiceLocks } from '../../../agent/deployer/service-locks.ts';
import { changeServiceControls } from '../../../agent/http/service-control-changes.ts';
import { ControlIntake } from '../../../agent/puller/control-intake.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import type { ControlReport } from '../../../shared/api/controller-api.ts';
import { generateSigningKey, type KeyPair } from '../../../shared/keys/index.ts';
import { verifyControl } from '../../../shared/manifest/control-policy.ts';
import type { ServiceControlInput } from '../../../shared/manifest/control-schema.ts';
import { signControl } from '../../../shared/manifest/control-signing.ts';
import {
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../proxy/proxy-harness.ts';
import { MemoryEngine, MemoryProxy } from './fake-host.ts';
import { capturedLogger, FLEET, HOST, manifest, NOW, releaseSigner } from './puller-fixtures.ts';

describe('signed service controls arriving by the controller', () => {
  let dir: string;
  let store: AgentStore;
  let deployer: Deployer;
  let proxy: TestProxy;
  let app: TestUpstream;
  let releaseKey: KeyPair;
  let intake: ControlIntake;
  const reports: ControlReport[] = [];

  const sign = (sequence: number, overrides: Partial<ServiceControlInput> = {}, key = releaseKey) =>
    signControl(
      {
        schema: 1,
        fleet: FLEET,
        service: 'shop',
        hosts: [HOST],
        sequence,
        issuedAt: new Date(NOW.getTime() - 60_000).toISOString(),
        expiresAt: new Date(NOW.getTime() + 540_000).toISOString(),
        issuedBy: 'ops@acme',
        action: 'maintenance-on',
        message: 'Back at 5',
        ...overrides,
      },
      key,
    );

  /** The proxy's controls of the route and every row of the agent's database. */
  async function snapshot(): Promise<unknown> {
    const states = await proxy.client.listServiceStates();
    const db = new Database(join(dir, 'agent.sqlite'), { readonly: true });
    try {
      const tables = ['releases', 'deployments', 'services', 'service_controls'];
      return {
        states,
        rows: tables.map((table) => db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()),
      };
    } finally {
      db.close();
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-control-intake-'));
    store = new AgentStore(join(dir, 'agent.sqlite'));
    const logger = capturedLogger().logger;
    deployer = new Deployer({
      hostName: HOST,
      fleet: FLEET,
      network: 'berth',
      store,
      engine: new MemoryEngine(),
      proxy: new MemoryProxy(),
      locks: new ServiceLocks(),
      logger,
      openSecrets: async () => ({}),
      sleep: async () => undefined,
      now: () => new Date(),
    });
    const signer = await releaseSigner();
    releaseKey = signer.key;
    await deployer.start(manifest({ sequence: 1 }), await signer.sign({ sequence: 1 }));
    await deployer.settled();
    proxy = await startTestProxy();
    app = await startUpstream('app');
    await proxy.client.switchService('shop-web', route(app.target, { hosts: ['shop.test'] }));
    intake = new ControlIntake({
      verifyControl: (jws) =>
        verifyControl(jws, {
          trustedKeys: [{ kid: releaseKey.kid, jwk: releaseKey.publicJwk }],
          fleet: FLEET,
          hostName: HOST,
          lastAppliedSequence: (service) => store.controls.lastSequence(service),
          now: NOW,
        }),
      apply: (service, action) =>
        changeServiceControls(
          { hostName: HOST, store, proxyControls: proxy.client },
          service,
          action,
        ),
      lastSequences: () => store.controls.lastSequences(),
      recordApplied: (control) =>
        store.controls.recordApplied(control.service, control.sequence, control.action),
      report: (result) => void reports.push(result),
      logger,
    });
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
    await deployer.settled();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies a verified control through the same path as the agent API, and remembers its sequence', async () => {
    await intake.offer([await sign(100)]);
    expect(reports.splice(0)).toEqual([
      {
        service: 'shop',
        sequence: 100,
        outcome: 'applied',
        error: null,
        routes: [{ route: 'shop-web', maintenance: { message: 'Back at 5' }, pause: null }],
      },
    ]);
    const page = await send(proxy.url, '/', { host: 'shop.test' });
    expect([page.status, page.text.includes('Back at 5')]).toEqual([503, true]);
    expect(intake.known()).toEqual({ shop: 100 });
    expect(store.controls.lastSequence('shop')).toBe(100);
  });

  it('refuses, changing nothing, a control that is forged, replayed, expired, foreign or tampered', async () => {
    const before = await snapshot();
    const [header, , signature] = (await sign(150)).split('.');
    const tamperedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from((await sign(150)).split('.')[1] ?? '', 'base64url').toString()),
        action: 'maintenance-off',
        message: undefined,
      }),
    ).toString('base64url');
    await intake.offer([
      await sign(
        101,
        { action: 'maintenance-off', message: undefined },
        await generateSigningKey(),
      ),
      await sign(100, { action: 'maintenance-off', message: undefined }),
      await sign(102, {
        action: 'maintenance-off',
        message: undefined,
        expiresAt: NOW.toISOString(),
      }),
      await sign(103, { action: 'maintenance-off', message: undefined, fleet: 'staging' }),
      await sign(104, { action: 'maintenance-off', message: undefined, hosts: ['app-2'] }),
      [header, tamperedPayload, signature].join('.'),
    ]);
    expect(reports.splice(0).map((r) => [r.sequence, r.outcome, r.error?.code, r.routes])).toEqual([
      [101, 'refused', 'SIGNING_KEY_UNKNOWN', []],
      [100, 'refused', 'CONTROL_REPLAYED', []],
      [102, 'refused', 'CONTROL_EXPIRED', []],
      [103, 'refused', 'FLEET_MISMATCH', []],
      [104, 'refused', 'HOST_NOT_TARGETED', []],
      [150, 'refused', 'SIGNATURE_INVALID', []],
    ]);
    expect(await snapshot()).toEqual(before);
    expect((await send(proxy.url, '/', { host: 'shop.test' })).status).toBe(503);
    // Refused sequences are not asked for again in this run.
    expect(intake.known()).toEqual({ shop: 150 });
  });

  it('pauses and resumes under a waiting request, in the order given', async () => {
    await intake.offer([
      await sign(200, { action: 'maintenance-off', message: undefined }),
      await sign(201, { action: 'pause', message: undefined, maxPauseMs: 20_000 }),
    ]);
    const held = send(proxy.url, '/', { host: 'shop.test' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await intake.offer([await sign(202, { action: 'resume', message: undefined })]);
    expect((await held).status).toBe(200);
    expect(
      reports.splice(0).map((r) => [r.sequence, r.outcome, r.routes[0]?.pause ?? null]),
    ).toEqual([
      [200, 'applied', null],
      [201, 'applied', { maxPauseMs: 20_000 }],
      [202, 'applied', null],
    ]);
  });

  it('reports a control for a service not live here as refused, and records nothing', async () => {
    await intake.offer([await sign(5, { service: 'other' })]);
    expect(reports.splice(0).map((r) => [r.service, r.outcome, r.error?.code])).toEqual([
      ['other', 'refused', 'NOT_FOUND'],
    ]);
    expect(store.controls.lastSequence('other')).toBeNull();
  });
});
