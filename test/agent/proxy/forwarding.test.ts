import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Echo,
  echoOf,
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Writes `head` on a fresh connection and returns everything read until the proxy closes it. */
async function sendRaw(baseUrl: string, head: string): Promise<string> {
  const { port } = new URL(baseUrl);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(head);
  const chunks: Buffer[] = [];
  for await (const chunk of socket as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

describe('forwarding', () => {
  let proxy: TestProxy;
  let app: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
    await proxy.client.switchService('app', route(app.target, { hosts: ['app.test'] }));
    await proxy.client.switchService(
      'fast',
      route(app.target, { hosts: ['fast.test'], responseTimeoutMs: 300 }),
    );
    await proxy.client.switchService('empty', route('', { hosts: ['empty.test'] }));
    await proxy.client.switchService(
      'dead',
      route(`127.0.0.1:${await closedPort()}`, { hosts: ['dead.test'] }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('adds X-Forwarded-For/-Proto/-Host and a request id, keeping the Host header', async () => {
    const { headers } = echoOf(await send(proxy.url, '/', { host: 'app.test' }));
    expect(headers.host).toBe('app.test');
    expect(headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('http');
    expect(headers['x-forwarded-host']).toBe('app.test');
    expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['x-request-start']).toMatch(/^t=\d{13}$/);
  });

  it('gives every request its own id', async () => {
    const first = echoOf(await send(proxy.url, '/', { host: 'app.test' })).headers['x-request-id'];
    const second = echoOf(await send(proxy.url, '/', { host: 'app.test' })).headers['x-request-id'];
    expect(first).not.toBe(second);
  });

  it('keeps an incoming request id and appends to an incoming X-Forwarded-For', async () => {
    const { headers } = echoOf(
      await send(proxy.url, '/', {
        host: 'app.test',
        headers: {
          'x-request-id': 'req-42',
          'x-forwarded-for': '203.0.113.7',
          'x-forwarded-proto': 'https',
        },
      }),
    );
    expect(headers['x-request-id']).toBe('req-42');
    expect(headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
    expect(headers['x-forwarded-proto']).toBe('https');
  });

  it('strips hop-by-hop headers, including those the Connection header names', async () => {
    const raw = await sendRaw(
      proxy.url,
      'GET / HTTP/1.0\r\nHost: app.test\r\nConnection: close, X-Secret-Hop\r\n' +
        'X-Secret-Hop: 1\r\nProxy-Authorization: Basic eA==\r\nX-Kept: yes\r\n\r\n',
    );
    const { headers } = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Echo;
    expect(headers['x-secret-hop']).toBeUndefined();
    expect(headers['proxy-authorization']).toBeUndefined();
    expect(headers['x-kept']).toBe('yes');
  });

  it('streams request bodies to the target and passes its status and headers back', async () => {
    const reply = await send(proxy.url, '/status/201', {
      host: 'app.test',
      method: 'POST',
      body: 'x'.repeat(100_000),
    });
    expect(reply.status).toBe(201);
    expect(reply.headers['x-upstream']).toBe('app');
    expect(echoOf(reply).body).toHaveLength(100_000);
  });

  it('passes upstream error responses through untouched', async () => {
    const reply = await send(proxy.url, '/status/500', { host: 'app.test' });
    expect(reply.status).toBe(500);
    expect(echoOf(reply).upstream).toBe('app');
  });

  it('answers 503 for a service with no target', async () => {
    const reply = await send(proxy.url, '/', { host: 'empty.test' });
    expect(reply.status).toBe(503);
    expect(reply.text).toContain('503 Service Unavailable');
  });

  it('answers 502 when the target refuses the connection', async () => {
    const reply = await send(proxy.url, '/', { host: 'dead.test' });
    expect(reply.status).toBe(502);
    expect(reply.text).toContain('502 Bad Gateway');
  });

  it('answers 502 when the target drops the connection before answering', async () => {
    const reply = await send(proxy.url, '/reset', { host: 'app.test' });
    expect(reply.status).toBe(502);
  });

  it('strips hop-by-hop headers from the response', async () => {
    const reply = await send(proxy.url, '/hop', { host: 'app.test' });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-upstream']).toBe('app');
    expect(reply.headers['x-private']).toBeUndefined();
    expect(reply.headers['proxy-authenticate']).toBeUndefined();
  });

  it('answers 504 when the target sends no headers within responseTimeoutMs', async () => {
    const startedAt = performance.now();
    const reply = await send(proxy.url, '/slow?ms=4000', { host: 'fast.test' });
    expect(reply.status).toBe(504);
    expect(reply.text).toContain('504 Gateway Timeout');
    expect(performance.now() - startedAt).toBeLessThan(3000);
  });

  it('answers 404 naming the host when nothing routes it', async () => {
    const reply = await send(proxy.url, '/', { host: 'unknown.test' });
    expect(reply.status).toBe(404);
    expect(reply.text).toContain('unknown.test');
  });

  it('escapes the host on the 404 page', async () => {
    const reply = await send(proxy.url, '/', { host: 'a<b>.test' });
    expect(reply.status).toBe(404);
    expect(reply.text).not.toContain('<b>');
  });
});
