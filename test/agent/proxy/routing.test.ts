import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

describe('routing by host and path', () => {
  let proxy: TestProxy;
  const upstreams: Record<string, TestUpstream> = {};

  beforeAll(async () => {
    proxy = await startTestProxy();
    for (const name of ['exact', 'wildcard', 'catchAll', 'api', 'apiV2', 'keep']) {
      upstreams[name] = await startUpstream(name);
    }
    const target = (name: string): string => upstreams[name]?.target ?? '';
    await proxy.client.switchService(
      'exact',
      route(target('exact'), { hosts: ['app.example.com'] }),
    );
    await proxy.client.switchService(
      'wildcard',
      route(target('wildcard'), { hosts: ['*.example.com'] }),
    );
    await proxy.client.switchService('catch-all', route(target('catchAll')));
    await proxy.client.switchService(
      'api',
      route(target('api'), { hosts: ['shop.test'], pathPrefix: '/api' }),
    );
    await proxy.client.switchService(
      'api-v2',
      route(target('apiV2'), { hosts: ['shop.test'], pathPrefix: '/api/v2' }),
    );
    await proxy.client.switchService(
      'keep',
      route(target('keep'), { hosts: ['shop.test'], pathPrefix: '/keep', stripPathPrefix: false }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
  });

  it('routes an exact host before a wildcard, ignoring case and port', async () => {
    expect(echoOf(await send(proxy.url, '/', { host: 'App.Example.COM:8080' })).upstream).toBe(
      'exact',
    );
  });

  it('routes one label under a wildcard, but not two', async () => {
    expect(echoOf(await send(proxy.url, '/', { host: 'other.example.com' })).upstream).toBe(
      'wildcard',
    );
    expect(echoOf(await send(proxy.url, '/', { host: 'a.b.example.com' })).upstream).toBe(
      'catchAll',
    );
    expect(echoOf(await send(proxy.url, '/', { host: 'example.com' })).upstream).toBe('catchAll');
  });

  it('sends unknown hosts to the catch-all service', async () => {
    expect(echoOf(await send(proxy.url, '/x?y=1', { host: 'nowhere.test' })).url).toBe('/x?y=1');
  });

  it('picks the longest prefix on segment boundaries and strips it', async () => {
    const v2 = echoOf(await send(proxy.url, '/api/v2/items?q=1', { host: 'shop.test' }));
    expect([v2.upstream, v2.url]).toEqual(['apiV2', '/items?q=1']);
    const v1 = echoOf(await send(proxy.url, '/api/v20', { host: 'shop.test' }));
    expect([v1.upstream, v1.url]).toEqual(['api', '/v20']);
    const bare = echoOf(await send(proxy.url, '/api?x=1', { host: 'shop.test' }));
    expect([bare.upstream, bare.url]).toEqual(['api', '/?x=1']);
    expect(echoOf(await send(proxy.url, '/api', { host: 'shop.test' })).url).toBe('/');
  });

  it('keeps the prefix when stripPathPrefix is false', async () => {
    const reply = echoOf(await send(proxy.url, '/keep/a', { host: 'shop.test' }));
    expect([reply.upstream, reply.url]).toEqual(['keep', '/keep/a']);
  });

  it('answers 404 naming the host when the host has no route for the path', async () => {
    const reply = await send(proxy.url, '/apix', { host: 'shop.test' });
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toMatch(/text\/html/);
    expect(reply.text).toContain('shop.test');
  });
});
