import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoOf, route, send, startUpstream, type TestUpstream } from './proxy-harness.ts';
import { startTrafficProxy, type TrafficProxy } from './traffic-harness.ts';

const headersTimeoutMs = 1000;
const keepAliveTimeoutMs = 500;
const maxRequestBodyBytes = 1000;

/** Writes the head one byte every `intervalMs`; resolves with when and how the proxy closed. */
async function trickleHeaders(
  port: number,
  intervalMs: number,
): Promise<{ closedAfterMs: number; bytesSent: number; answer: string }> {
  const head = 'GET / HTTP/1.1\r\nHost: limits.test\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
  const socket = connect(port, '127.0.0.1');
  const startedAt = performance.now();
  let answer = '';
  let bytesSent = 0;
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  const timer = setInterval(() => {
    if (bytesSent >= head.length || socket.destroyed) return;
    socket.write(head.charAt(bytesSent));
    bytesSent += 1;
  }, intervalMs);
  await new Promise((resolve) => socket.once('close', resolve));
  clearInterval(timer);
  return { closedAfterMs: performance.now() - startedAt, bytesSent, answer };
}

async function* chunks(count: number, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i += 1) yield Buffer.alloc(size, 'x');
}

describe('client and body limits', () => {
  let proxy: TrafficProxy;
  let app: TestUpstream;

  beforeAll(async () => {
    proxy = await startTrafficProxy({
      clientLimits: { headersTimeoutMs, requestTimeoutMs: 5000, keepAliveTimeoutMs },
    });
    app = await startUpstream('app');
    await proxy.services.switch(
      'limits',
      route(app.target, { hosts: ['limits.test'], maxRequestBodyBytes, responseTimeoutMs: 500 }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('cuts a client that trickles its headers after the header timeout', async () => {
    const before = app.received;
    const { closedAfterMs, bytesSent, answer } = await trickleHeaders(proxy.port, 200);
    expect(closedAfterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50);
    expect(closedAfterMs).toBeLessThan(headersTimeoutMs + 1000);
    expect(bytesSent).toBeLessThan(15);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(app.received).toBe(before);
  });

  it('closes a keep-alive connection left idle past the idle timeout', async () => {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: limits.test\r\n\r\n');
    const answeredAt = await new Promise<number>((resolve) =>
      socket.once('data', () => resolve(performance.now())),
    );
    await new Promise((resolve) => socket.once('close', resolve));
    const idleMs = performance.now() - answeredAt;
    // Node adds a one-second grace to the advertised keep-alive timeout.
    expect(idleMs).toBeGreaterThanOrEqual(keepAliveTimeoutMs - 50);
    expect(idleMs).toBeLessThan(keepAliveTimeoutMs + 2000);
  });

  it('answers 413 to a body whose Content-Length is over the limit, without calling the app', async () => {
    const before = app.received;
    const reply = await send(proxy.url, '/upload', {
      host: 'limits.test',
      method: 'POST',
      body: 'x'.repeat(maxRequestBodyBytes + 1),
    });
    expect(reply.status).toBe(413);
    expect(reply.text).toContain('413 Content Too Large');
    expect(app.received).toBe(before);
  });

  it('answers 413 to a chunked body once it streams past the limit', async () => {
    const client = new Client(proxy.url);
    const response = await client.request({
      method: 'POST',
      path: '/upload',
      headers: { host: 'limits.test' },
      body: Readable.from(chunks(3, 600)),
    });
    expect(response.statusCode).toBe(413);
    expect(await response.body.text()).toContain('413');
    await client.close();
  });

  it('forwards bodies up to the limit, chunked or not', async () => {
    const exact = await send(proxy.url, '/upload', {
      host: 'limits.test',
      method: 'POST',
      body: 'x'.repeat(maxRequestBodyBytes),
    });
    expect(echoOf(exact).body).toHaveLength(maxRequestBodyBytes);
    const client = new Client(proxy.url);
    const response = await client.request({
      method: 'POST',
      path: '/upload',
      headers: { host: 'limits.test' },
      body: Readable.from(chunks(2, 500)),
    });
    expect(response.statusCode).toBe(200);
    expect(
      echoOf({ status: 200, headers: {}, text: await response.body.text() }).body,
    ).toHaveLength(1000);
    await client.close();
  });

  it('answers 504 when the app sends no response within the response timeout', async () => {
    const startedAt = performance.now();
    const reply = await send(proxy.url, '/slow?ms=3000', { host: 'limits.test' });
    const tookMs = performance.now() - startedAt;
    expect(reply.status).toBe(504);
    expect(reply.text).toContain('504 Gateway Timeout');
    expect(tookMs).toBeGreaterThanOrEqual(450);
    expect(tookMs).toBeLessThan(2000);
  });
});
