import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  rawUpgrade,
  route,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

function firstMessage(socket: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.addEventListener('message', (event) => resolve(String(event.data)));
    socket.addEventListener('error', () => reject(new Error('websocket failed')));
  });
}

/** A WebSocket's incoming messages in order, and when it closed. */
function inbox(socket: WebSocket): { next(): Promise<string>; closed: Promise<number> } {
  const queued: string[] = [];
  const waiting: ((message: string) => void)[] = [];
  socket.addEventListener('message', (event) => {
    const message = String(event.data);
    const resolve = waiting.shift();
    if (resolve === undefined) queued.push(message);
    else resolve(message);
  });
  const closed = new Promise<number>((resolve) =>
    socket.addEventListener('close', () => resolve(performance.now())),
  );
  return {
    next: () => {
      const message = queued.shift();
      if (message !== undefined) return Promise.resolve(message);
      return new Promise((resolve) => waiting.push(resolve));
    },
    closed,
  };
}

describe('WebSocket upgrades', () => {
  let proxy: TestProxy;
  let a: TestUpstream;
  let b: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    a = await startUpstream('A');
    b = await startUpstream('B');
    await proxy.client.switchService(
      'chat',
      route(a.target, { hosts: ['127.0.0.1'], pathPrefix: '/ws' }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('tunnels a WebSocket to the target, stripping the path prefix', async () => {
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    expect(await firstMessage(socket)).toBe('hello from A /room');
    socket.close();
  });

  it('keeps a WebSocket open across a switch, exchanging messages until the drain timeout, then closes it', async () => {
    const drainTimeoutMs = 1500;
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    const messages = inbox(socket);
    expect(await messages.next()).toBe('hello from A /room');
    await proxy.client.switchService(
      'chat',
      route(b.target, { hosts: ['127.0.0.1'], pathPrefix: '/ws' }),
    );

    const drainStartedAt = performance.now();
    let isDraining = true;
    const drained = proxy.client
      .drainTarget({ target: a.target, timeoutMs: drainTimeoutMs })
      .finally(() => (isDraining = false));
    const echoedAtMs: number[] = [];
    for (let i = 0; isDraining; i += 1) {
      socket.send(`ping ${i}`);
      const echo = await Promise.race([messages.next(), messages.closed.then(() => 'closed')]);
      if (echo === 'closed') break;
      expect(echo).toBe(`A: ping ${i}`);
      echoedAtMs.push(performance.now() - drainStartedAt);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    expect(await drained).toEqual({ drained: false, remaining: 1 });
    const closedAt = await Promise.race([
      messages.closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 3000)),
    ]);
    const closedAtMs = closedAt - drainStartedAt;
    expect(echoedAtMs.length).toBeGreaterThan(8);
    expect(Math.max(...echoedAtMs)).toBeGreaterThan(drainTimeoutMs - 400);
    expect(closedAtMs).toBeGreaterThanOrEqual(drainTimeoutMs - 50);
    expect(closedAtMs).toBeLessThan(drainTimeoutMs + 1000);

    const next = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    expect(await firstMessage(next)).toBe('hello from B /room');
    next.close();
  });

  it('ends a drain early when the last tunnel closes on its own', async () => {
    await proxy.client.switchService(
      'chat',
      route(a.target, { hosts: ['127.0.0.1'], pathPrefix: '/ws' }),
    );
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    await firstMessage(socket);
    await proxy.client.switchService(
      'chat',
      route(b.target, { hosts: ['127.0.0.1'], pathPrefix: '/ws' }),
    );
    const startedAt = performance.now();
    const drained = proxy.client.drainTarget({ target: a.target, timeoutMs: 5000 });
    setTimeout(() => socket.close(), 200);
    expect(await drained).toEqual({ drained: true, remaining: 0 });
    expect(performance.now() - startedAt).toBeLessThan(2000);
  });

  it('leaves tunnels open at the drain timeout while a route still uses the target', async () => {
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    const messages = inbox(socket);
    expect(await messages.next()).toBe('hello from B /room');
    expect(await proxy.client.drainTarget({ target: b.target, timeoutMs: 100 })).toEqual({
      drained: false,
      remaining: 1,
    });
    socket.send('still there');
    expect(await messages.next()).toBe('B: still there');
    socket.close();
  });

  it('relays a target that declines the upgrade', async () => {
    await proxy.client.switchService('plain', route(a.target, { hosts: ['plain.test'] }));
    const response = await rawUpgrade(proxy.url, '/reject', 'plain.test');
    expect(response).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(response.endsWith('nope')).toBe(true);
  });

  it('answers 404 to an upgrade nothing routes', async () => {
    expect(await rawUpgrade(proxy.url, '/', 'nowhere.test')).toMatch(
      /^HTTP\/1\.1 404 Not Found\r\n/,
    );
  });
});
