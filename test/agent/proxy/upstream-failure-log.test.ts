import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { route, send, until } from './proxy-harness.ts';
import { startTrafficProxy, type TrafficProxy } from './traffic-harness.ts';
import { closedPort } from './upstream-pool-harness.ts';

describe('log of failed app requests', () => {
  let proxy: TrafficProxy;
  let deadTarget: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const log = new PassThrough();
    let pending = '';
    log.on('data', (chunk: Buffer) => {
      const complete = (pending + chunk.toString('utf8')).split('\n');
      pending = complete.pop() ?? '';
      lines.push(...complete.map((line) => JSON.parse(line) as Record<string, unknown>));
    });
    proxy = await startTrafficProxy({ log });
    deadTarget = `127.0.0.1:${await closedPort()}`;
    await proxy.services.switch('shop', route(deadTarget, { hosts: ['shop.test'] }));
  });

  afterAll(async () => {
    await proxy.close();
  });

  // An app that is down fails every request; a stack trace per request floods the journal.
  it('writes one short line per refused request, naming the target and the cause', async () => {
    const reply = await send(proxy.url, '/', { host: 'shop.test' });
    expect(reply.status).toBe(502);
    await until(() => lines.some((line) => line.msg === 'upstream request failed'));
    const line = lines.find(({ msg }) => msg === 'upstream request failed');
    expect(line).toMatchObject({
      level: 40,
      target: deadTarget,
      status: 502,
      kind: 'connect',
      error: `cannot connect to the app: connect ECONNREFUSED ${deadTarget}`,
    });
    expect(line).not.toHaveProperty('err');
    expect(JSON.stringify(line)).not.toMatch(/\bat \S+ \(/);
  });
});
