import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../shared/errors.ts';
import {
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type Reply,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

const clientCount = 1000;
const web = (target: string) => route(target, { hosts: ['web.test'] });

/** The `berth-canary=…` pair the proxy set on a reply, if any. */
function canaryCookieOf(reply: Reply): string | undefined {
  const header = reply.headers['set-cookie'];
  const cookies = Array.isArray(header) ? header : header === undefined ? [] : [header];
  return cookies.find((cookie) => cookie.startsWith('berth-canary='))?.split(';')[0];
}

/** Opens a WebSocket to web.test/live by hand and returns what arrives up to the greeting. */
async function upgradeUntilHello(baseUrl: string, cookie: string): Promise<string> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  socket.write(
    `GET /live HTTP/1.1\r\nHost: web.test\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\n` +
      'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  let received = '';
  for await (const chunk of socket as AsyncIterable<Buffer>) {
    received += chunk.toString('latin1');
    if (received.includes('hello from')) break;
  }
  socket.destroy();
  return received;
}

/** One request per fresh client (no cookie), `parallel` at a time. */
async function freshClients(baseUrl: string, count: number, parallel = 25): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, () =>
      send(baseUrl, '/', { host: 'web.test' }),
    );
    replies.push(...(await Promise.all(batch)));
  }
  return replies;
}

describe('canary', () => {
  let proxy: TestProxy;
  let main: TestUpstream;
  let canary: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    main = await startUpstream('main');
    canary = await startUpstream('canary');
    await proxy.client.switchService('web', web(main.target));
  });

  afterAll(async () => {
    await proxy.close();
    await Promise.all([main.close(), canary.close()]);
  });

  it('sends 10 % ± 3 % of 1000 fresh clients to the canary, and each client sticks to its side', async () => {
    expect(await proxy.client.setCanary('web', { target: canary.target, percent: 10 })).toEqual({
      previousCanaryTarget: null,
    });
    const replies = await freshClients(proxy.url, clientCount);
    const clients = replies.map((reply) => ({
      cookie: canaryCookieOf(reply),
      upstream: echoOf(reply).upstream,
    }));
    expect(clients.every((client) => client.cookie !== undefined)).toBe(true);
    expect(new Set(clients.map((client) => client.cookie)).size).toBe(clientCount);
    const share = clients.filter((client) => client.upstream === 'canary').length / clientCount;
    expect(share).toBeGreaterThanOrEqual(0.07);
    expect(share).toBeLessThanOrEqual(0.13);

    const sample = [
      ...clients.filter((client) => client.upstream === 'canary').slice(0, 20),
      ...clients.filter((client) => client.upstream === 'main').slice(0, 20),
    ];
    for (const client of sample) {
      for (let i = 0; i < 5; i += 1) {
        const reply = await send(proxy.url, `/again/${i}`, {
          host: 'web.test',
          headers: { cookie: `theme=dark; ${client.cookie ?? ''}` },
        });
        expect(echoOf(reply).upstream).toBe(client.upstream);
        expect(canaryCookieOf(reply)).toBeUndefined();
      }
    }
  });

  it('splits WebSocket upgrades by the same cookie', async () => {
    const replies = await freshClients(proxy.url, 100);
    const onCanary = replies.find((reply) => echoOf(reply).upstream === 'canary');
    const cookie = onCanary === undefined ? undefined : canaryCookieOf(onCanary);
    expect(cookie).toBeDefined();
    const answer = await upgradeUntilHello(proxy.url, cookie ?? '');
    expect(answer).toMatch(/^HTTP\/1\.1 101 /);
    expect(answer).toContain('hello from canary /live');
    expect(answer).not.toContain('set-cookie');
  });

  it('is kept across a switch of the main target and a proxy restart', async () => {
    await proxy.client.switchService('web', web(main.target));
    await proxy.stop();
    proxy = await startTestProxy({ dir: proxy.dir });
    const [state] = await proxy.client.listServiceStates();
    expect(state?.canary).toEqual({ target: canary.target, percent: 10 });
    const replies = await freshClients(proxy.url, 200);
    expect(replies.some((reply) => echoOf(reply).upstream === 'canary')).toBe(true);
  });

  it('sends every client to the main target after an abort, and sets no cookie', async () => {
    expect(await proxy.client.abortCanary('web')).toEqual({
      previousCanaryTarget: canary.target,
    });
    const replies = await freshClients(proxy.url, 100);
    expect(new Set(replies.map((reply) => echoOf(reply).upstream))).toEqual(new Set(['main']));
    expect(replies.map(canaryCookieOf).filter(Boolean)).toEqual([]);
    expect(await proxy.client.drainTarget({ target: canary.target, timeoutMs: 1000 })).toEqual({
      drained: true,
      remaining: 0,
    });
  });

  it('makes the canary target the main one on promote', async () => {
    await proxy.client.setCanary('web', { target: canary.target, percent: 30 });
    expect(await proxy.client.promoteCanary('web')).toEqual({ previousTarget: main.target });
    const [state] = await proxy.client.listServiceStates();
    expect(state?.target).toBe(canary.target);
    expect(state?.canary).toBeUndefined();
    const replies = await freshClients(proxy.url, 100);
    expect(new Set(replies.map((reply) => echoOf(reply).upstream))).toEqual(new Set(['canary']));
    expect(replies.map(canaryCookieOf).filter(Boolean)).toEqual([]);
  });

  it('refuses to promote a service without a canary', async () => {
    const error = await proxy.client.promoteCanary('web').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BerthError);
    expect((error as BerthError).code).toBe('NOT_FOUND');
    expect((error as BerthError).message).toContain('no canary');
  });

  it('rejects a percent outside 0–100', async () => {
    const error = await proxy.client
      .setCanary('web', { target: main.target, percent: 150 })
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('USAGE');
  });
});
