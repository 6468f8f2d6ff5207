import { connect } from 'node:net';
import { WebSocket } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
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

/** Sends an upgrade request by hand and returns everything read until the proxy closes. */
async function rawUpgrade(baseUrl: string, path: string, host: string): Promise<string> {
  const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('latin1');
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

  it('counts an open tunnel as in flight until it closes', async () => {
    const socket = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    await firstMessage(socket);
    await proxy.client.switchService(
      'chat',
      route(b.target, { hosts: ['127.0.0.1'], pathPrefix: '/ws' }),
    );
    expect(await proxy.client.drainTarget({ target: a.target, timeoutMs: 200 })).toEqual({
      drained: false,
      remaining: 1,
    });

    const drained = proxy.client.drainTarget({ target: a.target, timeoutMs: 5000 });
    socket.close();
    expect(await drained).toEqual({ drained: true, remaining: 0 });
    const next = new WebSocket(`${proxy.url.replace('http', 'ws')}/ws/room`);
    expect(await firstMessage(next)).toBe('hello from B /room');
    next.close();
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
