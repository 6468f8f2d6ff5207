import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgentCli } from '../../../agent/commands/agent-cli.ts';
import { Deployer } from '../../../agent/deployer/deployer.ts';
import type { DeployerDeps } from '../../../agent/deployer/deployer-deps.ts';
import { ServiceLocks } from '../../../agent/deployer/service-locks.ts';
import type { HttpDeps } from '../../../agent/http/http-deps.ts';
import { buildLocalServer, listenOnSocket } from '../../../agent/http/local-server.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import { agentConfigPath, writeAgentConfig } from '../../../shared/config/agent-config.ts';
import { BerthError } from '../../../shared/errors.ts';
import { MemoryEngine, MemoryProxy } from './fake-host.ts';
import { capturedLogger, FLEET, HOST, manifest, releaseSigner } from './puller-fixtures.ts';

describe('local rollback over the agent socket (`berth-agent rollback`)', () => {
  let dir: string;
  let store: AgentStore;
  let engine: MemoryEngine;
  let proxy: MemoryProxy;
  let deployer: Deployer;
  let local: FastifyInstance;
  const socketPath = () => join(dir, 'agent.sock');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-rollback-'));
    await writeAgentConfig(agentConfigPath(dir), { name: HOST, fleet: FLEET, dataDir: dir });
    store = new AgentStore(join(dir, 'agent.sqlite'));
    engine = new MemoryEngine();
    proxy = new MemoryProxy();
    const deps: DeployerDeps = {
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
    const signer = await releaseSigner();
    for (const sequence of [1, 2, 3]) {
      const overrides = { sequence, version: `v${sequence}` };
      await deployer.start(manifest(overrides), await signer.sign(overrides));
      await deployer.settled();
    }
    const refuse = async (): Promise<never> => {
      throw new BerthError('AUTH_INVALID', 'not in this test');
    };
    const httpDeps: HttpDeps = {
      ...deps,
      agentVersion: 'test',
      identity: { signingPublicKey: '', encryptionPublicKey: '' },
      deployer,
      verifyRelease: refuse,
      verifyOperator: refuse,
    };
    local = buildLocalServer(httpDeps);
    await listenOnSocket(local, socketPath());
  });

  afterEach(async () => {
    await local.close();
    await deployer.settled();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function rollback(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runAgentCli(['rollback', ...args, '--data-dir', dir], {
      out: (text) => void (out += text),
      err: (text) => void (err += text),
    });
    return { code, out, err };
  }

  const webOf = (sequence: number) => `shop-web-v${sequence}-${HOST}-${sequence}`;

  it('returns to the previous release with its stopped container; the highest sequence stays', async () => {
    const result = await rollback('shop');
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/^Rolling shop back to v2 \(release 2\) on app-1\n/);
    expect(result.out).toMatch(/\[app-1\] done\s+v2 is live/);
    expect(store.service('shop')).toMatchObject({ liveSequence: 2, highestSequence: 3 });
    expect(engine.created).toEqual([webOf(1), webOf(2), webOf(3)]);
    expect(engine.running()).toEqual([webOf(2)]);
    expect(engine.pulled).toEqual([]);
  });

  it('goes to a named version, and back again', async () => {
    expect((await rollback('shop', '--to', 'v1')).code).toBe(0);
    expect(store.service('shop')?.liveSequence).toBe(1);
    expect(engine.running()).toEqual([webOf(1)]);
    expect((await rollback('shop', '--to', 'v3')).code).toBe(0);
    expect(store.service('shop')).toMatchObject({ liveSequence: 3, highestSequence: 3 });
  });

  it('says what is wrong with an unknown service, version, or the live one', async () => {
    expect((await rollback('ghost')).err).toMatch(/NOT_FOUND: no service ghost on this host/);
    expect((await rollback('shop', '--to', 'v9')).err).toMatch(/no release of shop at version v9/);
    const live = await rollback('shop', '--to', 'v3');
    expect(live.code).toBe(2);
    expect(live.err).toMatch(/v3 \(release 3\) is already live/);
    expect(store.service('shop')?.liveSequence).toBe(3);
  });

  it('listens for root only, and will not take the socket of a running agent', async () => {
    expect((await stat(socketPath())).mode & 0o777).toBe(0o600);
    await expect(
      listenOnSocket(buildLocalServer(httpDepsStub(store)), socketPath()),
    ).rejects.toThrow(/another agent already listens/);
  });

  it('replaces a stale socket file left by a crash', async () => {
    await local.close();
    await writeFile(socketPath(), '');
    local = buildLocalServer(httpDepsStub(store));
    await listenOnSocket(local, socketPath());
    expect((await stat(socketPath())).isSocket()).toBe(true);
  });

  it('tells the operator when no agent runs', async () => {
    await local.close();
    const result = await rollback('shop');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/HOST_UNREACHABLE: no agent answers on .*agent\.sock/);
  });
});

function httpDepsStub(store: AgentStore): HttpDeps {
  return { store, logger: capturedLogger().logger } as unknown as HttpDeps;
}
