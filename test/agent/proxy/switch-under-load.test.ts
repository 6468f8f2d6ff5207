import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type Reply,
  type TestProxy,
  type TestUpstream,
  until,
} from './proxy-harness.ts';

const clientCount = 24;
const switchCount = 5;
const slowRequestMs = 2000;

interface LoadTally {
  ok: number;
  failed: string[];
  byUpstream: Map<string, number>;
}

/** `clientCount` keep-alive connections, each sending requests back to back until stopped. */
function startLoad(baseUrl: string): { tally: LoadTally; stop(): Promise<void> } {
  const tally: LoadTally = { ok: 0, failed: [], byUpstream: new Map() };
  let isStopping = false;
  const clients = Array.from({ length: clientCount }, () => new Client(baseUrl, { pipelining: 1 }));
  const loops = clients.map(async (client) => {
    while (!isStopping) {
      try {
        const response = await client.request({ method: 'GET', path: '/load' });
        const text = await response.body.text();
        if (response.statusCode !== 200) {
          tally.failed.push(`status ${response.statusCode}: ${text.slice(0, 80)}`);
          continue;
        }
        const { upstream } = JSON.parse(text) as { upstream: string };
        tally.byUpstream.set(upstream, (tally.byUpstream.get(upstream) ?? 0) + 1);
        tally.ok += 1;
      } catch (error) {
        tally.failed.push(String(error));
      }
    }
  });
  return {
    tally,
    stop: async () => {
      isStopping = true;
      await Promise.all(loops);
      await Promise.all(clients.map((client) => client.close()));
    },
  };
}

describe('switching targets under load', () => {
  let proxy: TestProxy;
  let a: TestUpstream;
  let b: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    a = await startUpstream('A');
    b = await startUpstream('B');
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('drops no request, finishes slow requests on the old target, sends new ones to the new', async () => {
    await proxy.client.switchService('web', route(a.target));
    const load = startLoad(proxy.url);
    await new Promise((resolve) => setTimeout(resolve, 300));

    const slowReplies: { expected: string; reply: Promise<Reply> }[] = [];
    const firstAfterSwitch: string[] = [];
    let current = a;
    for (let i = 0; i < switchCount; i += 1) {
      const next = current === a ? b : a;
      const slowBefore = current.slowReceived;
      slowReplies.push({
        expected: current.name,
        reply: send(proxy.url, `/slow?ms=${slowRequestMs}`),
      });
      await until(() => current.slowReceived > slowBefore);

      await proxy.client.checkTarget({
        target: next.target,
        healthCheck: { path: '/up', intervalMs: 100, timeoutMs: 1000 },
        timeoutMs: 2000,
      });
      const { previousTarget } = await proxy.client.switchService('web', route(next.target));
      expect(previousTarget).toBe(current.target);
      firstAfterSwitch.push(echoOf(await send(proxy.url, '/after-switch')).upstream);
      current = next;
      await new Promise((resolve) => setTimeout(resolve, 400));
    }

    const slow = await Promise.all(
      slowReplies.map(async ({ expected, reply }) => ({ expected, reply: await reply })),
    );
    await load.stop();

    expect(load.tally.failed).toEqual([]);
    expect(load.tally.ok).toBeGreaterThan(500);
    expect(load.tally.byUpstream.get('A')).toBeGreaterThan(50);
    expect(load.tally.byUpstream.get('B')).toBeGreaterThan(50);
    expect(firstAfterSwitch).toEqual(['B', 'A', 'B', 'A', 'B']);
    for (const { expected, reply } of slow) {
      expect(reply.status).toBe(200);
      expect(echoOf(reply).upstream).toBe(expected);
    }
    expect(slow.map(({ expected }) => expected)).toEqual(['A', 'B', 'A', 'B', 'A']);
  });
});
