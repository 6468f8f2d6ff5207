import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployer } from '../../../agent/deployer/deployer.ts';
import type { DeployerDeps } from '../../../agent/deployer/deployer-deps.ts';
import { ServiceLocks } from '../../../agent/deployer/service-locks.ts';
import type { HttpDeps } from '../../../agent/http/http-deps.ts';
import { buildServer } from '../../../agent/http/server.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import { BerthError } from '../../../shared/errors.ts';
import {
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../proxy/proxy-harness.ts';
import { MemoryEngine, MemoryProxy } from '../puller/fake-host.ts';
import { capturedLogger, FLEET, HOST, manifest, releaseSigner } from '../puller/puller-fixtures.ts';

describe('maintenance and pause over the agent API', () => {
  let dir: string;
  let store: AgentStore;
  let deployer: Deployer;
  let proxy: TestProxy;
  let app: TestUpstream;
  let api: FastifyInstance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-controls-'));
    store = new AgentStore(join(dir, 'agent.sqlite'));
    const deps: DeployerDeps = {
      hostName: HOST,
      fleet: FLEET,
      network: 'berth',
      store,
      engine: new MemoryEngine(),
      proxy: new MemoryProxy(),
      locks: new ServiceLocks(),
      logger: capturedLogger().logger,
      openSecrets: async () => ({}),
      sleep: async () => undefined,
      now: () => new Date(),
    };
    deployer = new Deployer(deps);
    const signer = await releaseSigner();
    await deployer.start(manifest({ sequence: 1 }), await signer.sign({ sequence: 1 }));
    await deployer.settled();

    proxy = await startTestProxy();
    app = await startUpstream('app');
    await proxy.client.switchService('shop-web', route(app.target, { hosts: ['shop.test'] }));
    const httpDeps: HttpDeps = {
      ...deps,
      agentVersion: 'test',
      identity: { signingPublicKey: '', encryptionPublicKey: '' },
      deployer,
      proxyControls: proxy.client,
      verifyRelease: async () => {
        throw new BerthError('AUTH_INVALID', 'not in this test');
      },
      verifyOperator: async (token) => {
        if (token !== 'operator') throw new BerthError('AUTH_INVALID', 'bad token');
        return { subject: 'ops@acme' };
      },
    };
    api = buildServer(httpDeps);
  });

  afterAll(async () => {
    await api.close();
    await proxy.close();
    await app.close();
    await deployer.settled();
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (path: string, body?: unknown, token = 'operator') =>
    api.inject({
      method: 'POST',
      url: path,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });

  it("puts the service's proxied roles in maintenance, and takes them out", async () => {
    const on = await post('/v1/services/shop/maintenance', { on: true, message: 'upgrading' });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toEqual({
      host: HOST,
      service: 'shop',
      routes: [{ route: 'shop-web', maintenance: { message: 'upgrading' }, pause: null }],
    });
    const page = await send(proxy.url, '/', { host: 'shop.test' });
    expect([page.status, page.text.includes('upgrading')]).toEqual([503, true]);

    const off = await post('/v1/services/shop/maintenance', { on: false });
    expect(off.json().routes).toEqual([{ route: 'shop-web', maintenance: null, pause: null }]);
    expect((await send(proxy.url, '/', { host: 'shop.test' })).status).toBe(200);
  });

  it('pauses with the default max pause, and resumes', async () => {
    const paused = await post('/v1/services/shop/pause', {});
    expect(paused.json().routes).toEqual([
      { route: 'shop-web', maintenance: null, pause: { maxPauseMs: 30_000 } },
    ]);
    const held = send(proxy.url, '/', { host: 'shop.test' });
    const resumed = await post('/v1/services/shop/resume');
    expect(resumed.json().routes[0].pause).toBeNull();
    expect((await held).status).toBe(200);
  });

  it('needs an operator token', async () => {
    expect((await post('/v1/services/shop/maintenance', { on: true }, 'forged')).statusCode).toBe(
      401,
    );
    expect((await send(proxy.url, '/', { host: 'shop.test' })).status).toBe(200);
  });

  it('answers NOT_FOUND for a service with no live release here, USAGE for a bad body', async () => {
    const missing = await post('/v1/services/ghost/maintenance', { on: true });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'NOT_FOUND']);
    const bad = await post('/v1/services/shop/pause', { maxPauseMs: -1 });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'USAGE']);
  });
});
