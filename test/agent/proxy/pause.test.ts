import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PauseGate, type HoldOutcome } from '../../../agent/proxy/pause-gate.ts';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pause and resume', () => {
  let proxy: TestProxy;
  let app: TestUpstream;
  let next: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
    next = await startUpstream('next');
    await proxy.client.switchService('web', route(app.target, { hosts: ['web.test'] }));
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([app.close(), next.close()]);
  });

  it('holds new requests without calling the app, and resume lets them go on', async () => {
    const state = await proxy.client.pause('web', { maxPauseMs: 10_000 });
    expect(state.pause).toEqual({ maxPauseMs: 10_000 });
    const before = app.received;
    let isAnswered = false;
    const held = send(proxy.url, '/held', { host: 'web.test', method: 'POST', body: 'kept' }).then(
      (reply) => {
        isAnswered = true;
        return reply;
      },
    );
    await sleep(300);
    expect(isAnswered).toBe(false);
    expect(app.received).toBe(before);

    const resumedState = await proxy.client.resume('web');
    expect(resumedState.pause).toBeUndefined();
    const reply = await held;
    expect(reply.status).toBe(200);
    expect(echoOf(reply)).toMatchObject({ upstream: 'app', url: '/held', body: 'kept' });
  });

  it('answers the health path itself while paused', async () => {
    await proxy.client.pause('web', { maxPauseMs: 10_000 });
    const health = await send(proxy.url, '/up', { host: 'web.test' });
    expect([health.status, health.text]).toEqual([200, 'OK']);
    await proxy.client.resume('web');
  });

  it('answers 504 to a request held longer than the max pause', async () => {
    await proxy.client.pause('web', { maxPauseMs: 300 });
    const startedAt = performance.now();
    const reply = await send(proxy.url, '/too-long', { host: 'web.test' });
    expect(reply.status).toBe(504);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(290);
    expect(performance.now() - startedAt).toBeLessThan(2000);
    await proxy.client.resume('web');
  });

  it('sends held requests to the target switched in during the pause', async () => {
    await proxy.client.pause('web', { maxPauseMs: 10_000 });
    const held = send(proxy.url, '/after-migration', { host: 'web.test' });
    await sleep(100);
    await proxy.client.switchService('web', route(next.target, { hosts: ['web.test'] }));
    await sleep(100);
    await proxy.client.resume('web');
    expect(echoOf(await held).upstream).toBe('next');
  });

  it('answers held requests with the 503 page when maintenance starts', async () => {
    await proxy.client.pause('web', { maxPauseMs: 10_000 });
    const held = send(proxy.url, '/', { host: 'web.test' });
    await sleep(100);
    const state = await proxy.client.setMaintenance('web', { on: true, message: 'closed now' });
    expect(state.pause).toBeUndefined();
    const reply = await held;
    expect([reply.status, reply.text.includes('closed now')]).toEqual([503, true]);
    await proxy.client.setMaintenance('web', { on: false });
  });

  it('holds a WebSocket upgrade too, and opens it on resume', async () => {
    await proxy.client.pause('web', { maxPauseMs: 10_000 });
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1');
    socket.write(
      'GET /live HTTP/1.1\r\nHost: web.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    await sleep(200);
    expect(received).toBe('');
    await proxy.client.resume('web');
    await until(() => received.includes('hello from next /live'));
    expect(received).toMatch(/^HTTP\/1\.1 101 /);
    socket.destroy();
  });

  it('stays paused across a proxy restart', async () => {
    await proxy.client.pause('web', { maxPauseMs: 200 });
    await proxy.stop();
    proxy = await startTestProxy({ dir: proxy.dir });
    expect((await send(proxy.url, '/', { host: 'web.test' })).status).toBe(504);
    await proxy.client.resume('web');
    expect((await send(proxy.url, '/', { host: 'web.test' })).status).toBe(200);
  });
});

describe('PauseGate', () => {
  it('holds up to its capacity, then refuses', () => {
    const gate = new PauseGate(10_000, 2);
    const outcomes: HoldOutcome[] = [];
    expect(gate.hold((outcome) => outcomes.push(outcome))).toBeTypeOf('function');
    expect(gate.hold((outcome) => outcomes.push(outcome))).toBeTypeOf('function');
    expect(gate.hold((outcome) => outcomes.push(outcome))).toBeUndefined();
    gate.release();
    expect(outcomes).toEqual(['resumed', 'resumed']);
    expect(gate.heldCount).toBe(0);
  });

  it('forgets a held request whose client left, freeing its place', () => {
    const gate = new PauseGate(10_000, 1);
    const outcomes: HoldOutcome[] = [];
    const cancel = gate.hold((outcome) => outcomes.push(outcome));
    cancel?.();
    expect(gate.heldCount).toBe(0);
    expect(gate.hold(() => undefined)).toBeTypeOf('function');
    gate.release();
    expect(outcomes).toEqual([]);
  });
});
