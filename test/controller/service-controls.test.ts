import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deployer } from '../../agent/deployer/deployer.ts';
import type { DeployerDeps } from '../../agent/deployer/deployer-deps.ts';
import { ServiceLocks } from '../../agent/deployer/service-locks.ts';
import { buildServer } from '../../agent/http/server.ts';
import { AgentStore } from '../../agent/state/agent-store.ts';
import { verifyOperatorToken } from '../../shared/auth/operator-token.ts';
import { BerthError } from '../../shared/errors.ts';
import { parsePublicKeys } from '../../shared/keys/index.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';
import {
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../agent/proxy/proxy-harness.ts';
import { MemoryEngine, MemoryProxy } from '../agent/puller/fake-host.ts';
import {
  capturedLogger,
  FLEET,
  HOST,
  manifest,
  releaseSigner,
} from '../agent/puller/puller-fixtures.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { TestApp } from '../helpers/test-fleet.ts';

describe('berth maintenance, pause and resume (direct to the agent)', () => {
  let root: string;
  let app: TestApp;
  let store: AgentStore;
  let deployer: Deployer;
  let proxy: TestProxy;
  let upstream: TestUpstream;
  let api: FastifyInstance;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-controls-cli-'));
    app = new TestApp(join(root, 'app'));
    await mkdir(app.dir, { recursive: true });
    const keys = await app.publicKeys();
    await app.writeConfig(
      demoConfig({ service: 'shop', repository: 'registry.test/shop', hosts: [HOST] }),
    );

    store = new AgentStore(join(root, 'agent.sqlite'));
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
    upstream = await startUpstream('shop');
    await proxy.client.switchService('shop-web', route(upstream.target, { hosts: ['shop.test'] }));

    const certificate = await createSelfSignedCertificate({ commonName: HOST });
    const operatorKeys = parsePublicKeys([keys.operator], 'Ed25519');
    api = buildServer(
      {
        ...deps,
        agentVersion: 'test',
        identity: { signingPublicKey: '', encryptionPublicKey: '' },
        deployer,
        proxyControls: proxy.client,
        verifyRelease: async () => {
          throw new BerthError('AUTH_INVALID', 'not in this test');
        },
        verifyOperator: (token) =>
          verifyOperatorToken(token, {
            trustedKeys: operatorKeys,
            audience: HOST,
            now: new Date(),
          }),
      },
      { https: { key: certificate.keyPem, cert: certificate.certPem } },
    );
    await api.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.server.address() as AddressInfo;
    const added = await app.berth(
      ...['hosts', 'add', HOST, '--url', `https://127.0.0.1:${port}`],
      ...['--fingerprint', certificate.fingerprint, '--no-verify'],
    );
    expect(added.code, added.stderr).toBe(0);
  });

  afterAll(async () => {
    await api.close();
    await proxy.close();
    await upstream.close();
    await deployer.settled();
    store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('turns maintenance on with a message on every host, and off again', async () => {
    const on = await app.berth('maintenance', 'on', '--message', 'Back at 5 pm');
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toBe('HOST   ROUTE     STATE\napp-1  shop-web  maintenance: Back at 5 pm\n');
    const page = await send(proxy.url, '/', { host: 'shop.test' });
    expect([page.status, page.text.includes('Back at 5 pm')]).toEqual([503, true]);

    const off = await app.berth('maintenance', 'off');
    expect(off.stdout).toContain('app-1  shop-web  live');
    expect((await send(proxy.url, '/', { host: 'shop.test' })).status).toBe(200);
  });

  it('pauses with a max pause in seconds, and resumes', async () => {
    const paused = await app.berth('pause', '--max-pause', '5', '--json');
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual({
      hosts: [
        {
          host: HOST,
          ok: true,
          answer: {
            host: HOST,
            service: 'shop',
            routes: [{ route: 'shop-web', maintenance: null, pause: { maxPauseMs: 5000 } }],
          },
        },
      ],
    });
    const held = send(proxy.url, '/', { host: 'shop.test' });
    const resumed = await app.berth('resume');
    expect(resumed.stdout).toContain('app-1  shop-web  live');
    expect((await held).status).toBe(200);
  });

  it('refuses a missing on/off and a bad max pause as usage errors', async () => {
    const missing = await app.berth('maintenance');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('needs on or off');
    expect((await app.berth('pause', '--max-pause', '0')).code).toBe(2);
  });
});
