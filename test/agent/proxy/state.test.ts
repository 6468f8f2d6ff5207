import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../../agent/proxy/admin-protocol.ts';
import { BerthError } from '../../../shared/errors.ts';
import {
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

describe('routing table state', () => {
  let dir: string;
  let app: TestUpstream;
  let other: TestUpstream;
  const running: TestProxy[] = [];

  async function start(): Promise<TestProxy> {
    const proxy = await startTestProxy({ dir });
    running.push(proxy);
    return proxy;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-proxy-state-'));
    app = await startUpstream('app');
    other = await startUpstream('other');
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((proxy) => proxy.stop()));
    await Promise.all([app.close(), other.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart of the proxy', async () => {
    const first = await start();
    await first.client.switchService('web', route(app.target, { hosts: ['web.test'] }));
    await first.client.switchService(
      'api',
      route(other.target, { hosts: ['web.test'], pathPrefix: '/api' }),
    );
    const before = await first.client.listServices();
    await first.stop();

    const second = await start();
    expect(await second.client.listServices()).toEqual(before);
    expect(echoOf(await send(second.url, '/api/x', { host: 'web.test' })).upstream).toBe('other');
    expect(echoOf(await send(second.url, '/', { host: 'web.test' })).upstream).toBe('app');
  });

  it('writes the file atomically, leaving no temp files behind', async () => {
    const proxy = await start();
    await proxy.client.switchService('web', route(app.target));
    await proxy.client.switchService('web', route(other.target));
    const saved = JSON.parse(await readFile(proxy.statePath, 'utf8')) as {
      services: ServiceRoute[];
    };
    expect(saved.services.map((service) => service.target)).toEqual([other.target]);
    expect(await readdir(dirname(proxy.statePath))).toEqual(['routes.json']);
  });

  it('skips a state entry that fails validation and loads the others', async () => {
    const statePath = join(dir, 'state', 'routes.json');
    const good: ServiceRoute = { service: 'good', ...route(app.target, { hosts: ['good.test'] }) };
    const badTarget = { ...good, service: 'bad', hosts: ['bad.test'], target: 'not a target' };
    const missingFields = { service: 'partial', hosts: ['partial.test'] };
    await mkdir(dirname(statePath), { recursive: true });
    await writeFile(
      statePath,
      JSON.stringify({ version: 1, services: [badTarget, good, missingFields, 42] }),
    );

    const proxy = await start();
    expect((await proxy.client.listServices()).map((service) => service.service)).toEqual(['good']);
    expect(echoOf(await send(proxy.url, '/', { host: 'good.test' })).upstream).toBe('app');
    expect((await send(proxy.url, '/', { host: 'bad.test' })).status).toBe(404);
  });

  it('starts empty when the whole file is unreadable', async () => {
    const statePath = join(dir, 'state', 'routes.json');
    await mkdir(dirname(statePath), { recursive: true });
    await writeFile(statePath, '{"services": [tru');
    const proxy = await start();
    expect(await proxy.client.listServices()).toEqual([]);
  });

  it('refuses a route another service owns with 409, keeping the old route', async () => {
    const proxy = await start();
    await proxy.client.switchService(
      'web',
      route(app.target, { hosts: ['shared.test'], pathPrefix: '/app' }),
    );
    const savedBefore = await readFile(proxy.statePath, 'utf8');

    const error = await proxy.client
      .switchService(
        'intruder',
        route(other.target, { hosts: ['other.test', 'shared.test'], pathPrefix: '/app/' }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).code).toBe('PROXY_ROUTE_CONFLICT');
    expect((error as BerthError).message).toContain('shared.test');
    expect((error as BerthError).message).toContain('"web"');

    expect((await proxy.client.listServices()).map((service) => service.service)).toEqual(['web']);
    expect(echoOf(await send(proxy.url, '/app', { host: 'shared.test' })).upstream).toBe('app');
    expect((await send(proxy.url, '/app', { host: 'other.test' })).status).toBe(404);
    expect(await readFile(proxy.statePath, 'utf8')).toBe(savedBefore);
  });

  it('keeps the old route when the state file cannot be written', async () => {
    const proxy = await start();
    await proxy.client.switchService('web', route(app.target));
    const stateDir = dirname(proxy.statePath);
    await rm(stateDir, { recursive: true });
    await writeFile(stateDir, 'not a directory');

    const error = await proxy.client
      .switchService('web', route(other.target))
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('INTERNAL');
    expect((error as BerthError).message).toContain(proxy.statePath);
    expect(echoOf(await send(proxy.url, '/')).upstream).toBe('app');
    expect((await proxy.client.listServices()).map((service) => service.target)).toEqual([
      app.target,
    ]);
  });

  it('lets a service move its own hosts, returning the previous target', async () => {
    const proxy = await start();
    await expect(
      proxy.client.switchService('web', route(app.target, { hosts: ['a.test'] })),
    ).resolves.toEqual({
      previousTarget: null,
    });
    await expect(
      proxy.client.switchService('web', route(other.target, { hosts: ['a.test', 'b.test'] })),
    ).resolves.toEqual({
      previousTarget: app.target,
    });
    expect(echoOf(await send(proxy.url, '/', { host: 'b.test' })).upstream).toBe('other');
  });

  it('removes a service, persisting the removal', async () => {
    const proxy = await start();
    await proxy.client.switchService('web', route(app.target, { hosts: ['web.test'] }));
    await proxy.client.removeService('web');
    await proxy.client.removeService('web');
    expect((await send(proxy.url, '/', { host: 'web.test' })).status).toBe(404);
    await proxy.stop();
    const restarted = await start();
    expect(await restarted.client.listServices()).toEqual([]);
  });
});
