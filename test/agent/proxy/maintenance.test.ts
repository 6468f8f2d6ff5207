import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../shared/errors.ts';
import {
  echoOf,
  rawUpgrade,
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

const web = (target: string, overrides = {}) =>
  route(target, { hosts: ['web.test'], pathPrefix: '/shop', healthCheckPath: '/up', ...overrides });

describe('maintenance', () => {
  let proxy: TestProxy;
  let app: TestUpstream;
  let pagesDir: string;

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
    pagesDir = await mkdtemp(join(tmpdir(), 'berth-pages-'));
    await writeFile(
      join(pagesDir, '503.html'),
      '<html><body class="ours"><p>{{message}}</p></body></html>',
    );
    await proxy.client.switchService('web', web(app.target));
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
    await rm(pagesDir, { recursive: true, force: true });
  });

  it('answers 503 with the escaped message while on, and 200 on the health path', async () => {
    const message = 'Back at <b>5 pm</b> & soon';
    const state = await proxy.client.setMaintenance('web', { on: true, message });
    expect(state.maintenance).toEqual({ message });
    const before = app.received;

    const page = await send(proxy.url, '/shop/orders', {
      host: 'web.test',
      method: 'POST',
      body: 'order',
    });
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('Back at &#60;b&#62;5 pm&#60;/b&#62; &#38; soon');
    expect(page.text).not.toContain('<b>');

    const health = await send(proxy.url, '/shop/up', { host: 'web.test' });
    expect([health.status, health.text]).toEqual([200, 'OK']);
    const head = await send(proxy.url, '/shop/up?probe=1', { host: 'web.test', method: 'HEAD' });
    expect([head.status, head.text]).toEqual([200, '']);
    expect((await send(proxy.url, '/shop/up', { host: 'web.test', method: 'POST' })).status).toBe(
      503,
    );
    expect((await send(proxy.url, '/shop/upgrade', { host: 'web.test' })).status).toBe(503);
    expect(app.received).toBe(before);
  });

  it('says the default text when no message is given', async () => {
    await proxy.client.setMaintenance('web', { on: true });
    const page = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect(page.status).toBe(503);
    expect(page.text).toContain('temporarily unavailable for maintenance');
  });

  it('answers upgrade requests 503 while on', async () => {
    expect(await rawUpgrade(proxy.url, '/shop/ws', 'web.test')).toMatch(
      /^HTTP\/1\.1 503 Service Unavailable\r\n/,
    );
  });

  it('stays on across a switch to a new target', async () => {
    await proxy.client.setMaintenance('web', { on: true, message: 'migrating' });
    await proxy.client.switchService('web', web(app.target, { responseTimeoutMs: 20_000 }));
    const page = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect([page.status, page.text.includes('migrating')]).toEqual([503, true]);
  });

  it('lets the app answer again once off', async () => {
    const state = await proxy.client.setMaintenance('web', { on: false });
    expect(state.maintenance).toBeUndefined();
    const reply = await send(proxy.url, '/shop/orders?id=7', { host: 'web.test' });
    expect(reply.status).toBe(200);
    expect(echoOf(reply)).toMatchObject({ upstream: 'app', url: '/orders?id=7' });
  });

  it("serves the service's own 503 page with the message put in", async () => {
    await proxy.client.switchService('web', web(app.target, { errorPagesDir: pagesDir }));
    await proxy.client.setMaintenance('web', { on: true, message: 'Tea & biscuits' });
    const page = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect(page.status).toBe(503);
    expect(page.text).toBe('<html><body class="ours"><p>Tea &#38; biscuits</p></body></html>');
    await proxy.client.setMaintenance('web', { on: false });
  });

  it('refuses an error pages directory that does not exist, keeping the route', async () => {
    const error = await proxy.client
      .switchService('web', web('127.0.0.1:9', { errorPagesDir: join(pagesDir, 'missing') }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).code).toBe('USAGE');
    expect((error as BerthError).message).toContain('missing');
    expect(echoOf(await send(proxy.url, '/shop/', { host: 'web.test' })).upstream).toBe('app');
  });

  it('answers NOT_FOUND for a service the proxy does not have', async () => {
    const error = await proxy.client
      .setMaintenance('nope', { on: true })
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('NOT_FOUND');
  });

  it('is kept in the state file across a proxy restart', async () => {
    await proxy.client.setMaintenance('web', { on: true, message: 'after restart' });
    await proxy.stop();
    proxy = await startTestProxy({ dir: proxy.dir });
    const page = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect([page.status, page.text.includes('after restart')]).toEqual([503, true]);
    expect((await send(proxy.url, '/shop/up', { host: 'web.test' })).status).toBe(200);
  });
});

describe('error pages a release carries (inline in the route)', () => {
  let proxy: TestProxy;
  let app: TestUpstream;
  const pages = { '503': '<main>{{message}}</main>', '404': '<main>no such page</main>' };

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
    await proxy.client.switchService('web', web(app.target, { errorPages: pages }));
  });

  afterAll(async () => {
    await proxy.stop();
    await app.close();
  });

  it('serves them with the message put in, keeps them across a restart, and lists no HTML', async () => {
    await proxy.client.setMaintenance('web', { on: true, message: 'Back at 5' });
    const before = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect([before.status, before.text]).toEqual([503, '<main>Back at 5</main>']);
    expect(await proxy.client.listServices()).toEqual([
      expect.not.objectContaining({ errorPages: expect.anything() }),
    ]);

    await proxy.stop();
    proxy = await startTestProxy({ dir: proxy.dir });
    const after = await send(proxy.url, '/shop/', { host: 'web.test' });
    expect([after.status, after.text]).toEqual([503, '<main>Back at 5</main>']);
  });

  it('refuses a route that names both a directory and inline pages, keeping the old one', async () => {
    const error = await proxy.client
      .switchService('web', web('127.0.0.1:9', { errorPages: pages, errorPagesDir: '/tmp' }))
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('USAGE');
    expect((error as BerthError).message).toContain('not both');
    expect((await proxy.client.listServices())[0]?.target).toBe(app.target);
  });
});
