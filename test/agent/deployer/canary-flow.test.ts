import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Deployer } from '../../../agent/deployer/deployer.ts';
import type { DeployerDeps } from '../../../agent/deployer/deployer-deps.ts';
import { ServiceLocks } from '../../../agent/deployer/service-locks.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import type { ReleaseManifestInput } from '../../../shared/manifest/schema.ts';
import { MemoryEngine, MemoryProxy } from '../puller/fake-host.ts';
import {
  capturedLogger,
  FLEET,
  HOST,
  manifest,
  releaseSigner,
  type ReleaseSigner,
} from '../puller/puller-fixtures.ts';

const route = 'shop-web';

/** The deployer against real SQLite and in-memory Docker and proxy: the canary's states and slots. */
describe('canary deployments on one host', () => {
  let dir: string;
  let store: AgentStore;
  let engine: MemoryEngine;
  let proxy: MemoryProxy;
  let deps: DeployerDeps;
  let deployer: Deployer;
  let signer: ReleaseSigner;

  async function deploy(overrides: Partial<ReleaseManifestInput>): Promise<void> {
    await deployer.start(manifest(overrides), await signer.sign(overrides));
    await deployer.settled();
  }

  const states = () =>
    store
      .releases('shop', 50)
      .map((r) => store.deploymentsFor('shop', r.sequence).at(-1)?.state)
      .reverse();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-canary-'));
    store = new AgentStore(join(dir, 'agent.sqlite'));
    engine = new MemoryEngine();
    proxy = new MemoryProxy();
    deps = {
      hostName: HOST,
      fleet: FLEET,
      network: 'berth',
      store,
      engine,
      proxy,
      locks: new ServiceLocks(),
      logger: capturedLogger().logger,
      openSecrets: async () => ({}),
      sleep: async () => undefined,
      now: () => new Date(),
    };
    deployer = new Deployer(deps);
    signer = await releaseSigner();
    await deploy({ sequence: 1, version: 'v1' });
    await deploy({ sequence: 2, version: 'v2', canary: { percent: 10 } });
  });

  afterEach(async () => {
    await deployer.settled();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('parks the canary beside the live release', () => {
    expect(states()).toEqual(['done', 'canary']);
    expect(store.service('shop')?.liveSequence).toBe(1);
    expect(engine.running()).toEqual([`shop-web-v1-${HOST}-1`, `shop-web-v2-${HOST}-2`]);
    expect(proxy.routes.get(route)).toBe('10.0.0.1:3000');
    expect(proxy.canaries.get(route)).toEqual({ target: '10.0.0.2:3000', percent: 10 });
  });

  it('stays parked after a restart and gives the proxy its slot back', async () => {
    proxy.canaries.clear();
    const restarted = new Deployer(deps);
    await restarted.resumeUnfinished();
    await restarted.settled();
    expect(states()).toEqual(['done', 'canary']);
    expect(proxy.canaries.get(route)).toEqual({ target: '10.0.0.2:3000', percent: 10 });
  });

  it('promotes: the canary is adopted and live, the old container stopped', async () => {
    await deploy({ sequence: 3, version: 'v2', promotionOf: 2 });
    expect(states()).toEqual(['done', 'done', 'done']);
    expect(store.service('shop')?.liveSequence).toBe(2);
    expect(engine.running()).toEqual([`shop-web-v2-${HOST}-2`]);
    expect(engine.created).toHaveLength(2);
    expect(proxy.routes.get(route)).toBe('10.0.0.2:3000');
    expect(proxy.canaries.size).toBe(0);
    const events = store.events(store.deploymentsFor('shop', 3)[0]?.id ?? 0);
    expect(events.at(-1)?.message).toBe('promoted canary v2 (release 2); v2 is live');
  });

  it('finishes a promotion the proxy had already carried out (a resumed run)', async () => {
    await proxy.promoteCanary(route);
    await deploy({ sequence: 3, version: 'v2', promotionOf: 2 });
    expect(states()).toEqual(['done', 'done', 'done']);
    expect(proxy.routes.get(route)).toBe('10.0.0.2:3000');
    expect(engine.running()).toEqual([`shop-web-v2-${HOST}-2`]);
  });

  it('aborts: the live release keeps serving, the canary is stopped and rolled back', async () => {
    await deploy({ sequence: 3, version: 'v1', canaryAbortOf: 2 });
    expect(states()).toEqual(['done', 'rolled_back', 'done']);
    expect(store.service('shop')?.liveSequence).toBe(1);
    expect(engine.running()).toEqual([`shop-web-v1-${HOST}-1`]);
    expect(proxy.routes.get(route)).toBe('10.0.0.1:3000');
    expect(proxy.canaries.size).toBe(0);
  });

  it('a new canary replaces the parked one: stopped and rolled back first', async () => {
    await deploy({ sequence: 3, version: 'v3', canary: { percent: 25 } });
    expect(states()).toEqual(['done', 'rolled_back', 'canary']);
    expect(store.service('shop')?.liveSequence).toBe(1);
    expect(engine.running()).toEqual([`shop-web-v1-${HOST}-1`, `shop-web-v3-${HOST}-3`]);
    expect(proxy.canaries.get(route)).toEqual({ target: '10.0.0.3:3000', percent: 25 });
  });

  it('a rollback while a canary is parked stops the canary, then deploys', async () => {
    await deploy({ sequence: 3, version: 'v1', rollbackOf: 1 });
    expect(states()).toEqual(['done', 'rolled_back', 'done']);
    expect(store.service('shop')?.liveSequence).toBe(3);
    expect(engine.running()).toEqual([`shop-web-v1-${HOST}-3`]);
    expect(proxy.canaries.size).toBe(0);
  });

  it('finishes an abort the proxy had already carried out (a resumed run)', async () => {
    await proxy.abortCanary(route);
    await deploy({ sequence: 3, version: 'v1', canaryAbortOf: 2 });
    expect(states()).toEqual(['done', 'rolled_back', 'done']);
    expect(engine.running()).toEqual([`shop-web-v1-${HOST}-1`]);
  });

  it('refuses a promotion of another release before storing anything', async () => {
    const overrides = { sequence: 3, version: 'v2', promotionOf: 1 };
    await expect(
      deployer.start(manifest(overrides), await signer.sign(overrides)),
    ).rejects.toMatchObject({
      code: 'CANARY_NOT_RUNNING',
    });
    expect(store.release('shop', 3)).toBeNull();
    expect(store.service('shop')?.highestSequence).toBe(2);
    expect(states()).toEqual(['done', 'canary']);
    expect(proxy.canaries.get(route)).toEqual({ target: '10.0.0.2:3000', percent: 10 });
  });
});
