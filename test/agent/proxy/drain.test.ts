import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
  until,
} from './proxy-harness.ts';

describe('POST /targets/drain', () => {
  let proxy: TestProxy;
  let oldApp: TestUpstream;
  let newApp: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    oldApp = await startUpstream('old');
    newApp = await startUpstream('new');
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([oldApp.close(), newApp.close()]);
  });

  it('resolves once the in-flight requests to the old target finish', async () => {
    await proxy.client.switchService('web', route(oldApp.target));
    const before = oldApp.received;
    const slow = send(proxy.url, '/slow?ms=1000');
    await until(() => oldApp.received > before);
    await proxy.client.switchService('web', route(newApp.target));

    const startedAt = performance.now();
    const result = await proxy.client.drainTarget({ target: oldApp.target, timeoutMs: 5000 });
    expect(result).toEqual({ drained: true, remaining: 0 });
    expect(performance.now() - startedAt).toBeGreaterThan(500);
    expect(echoOf(await slow).upstream).toBe('old');
  });

  it('closes the pool of a drained target that no route uses', async () => {
    await proxy.client.switchService('pool', route(oldApp.target, { hosts: ['pool.test'] }));
    await send(proxy.url, '/', { host: 'pool.test' });
    expect(await oldApp.openConnections()).toBeGreaterThan(0);
    await proxy.client.switchService('pool', route(newApp.target, { hosts: ['pool.test'] }));
    await proxy.client.drainTarget({ target: oldApp.target, timeoutMs: 1000 });
    await until(async () => (await oldApp.openConnections()) === 0, 1500);
  });

  it('reports what remains at the timeout and leaves those requests running', async () => {
    await proxy.client.switchService('web', route(oldApp.target));
    const before = oldApp.received;
    const slow = [send(proxy.url, '/slow?ms=1500'), send(proxy.url, '/slow?ms=1500')];
    await until(() => oldApp.received >= before + 2);
    await proxy.client.switchService('web', route(newApp.target));

    const result = await proxy.client.drainTarget({ target: oldApp.target, timeoutMs: 200 });
    expect(result).toEqual({ drained: false, remaining: 2 });
    const replies = await Promise.all(slow);
    expect(replies.map((reply) => [reply.status, echoOf(reply).upstream])).toEqual([
      [200, 'old'],
      [200, 'old'],
    ]);
  });

  it('is drained at once for a target with nothing in flight', async () => {
    await expect(
      proxy.client.drainTarget({ target: '127.0.0.1:9', timeoutMs: 5000 }),
    ).resolves.toEqual({
      drained: true,
      remaining: 0,
    });
  });
});
