import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog, type AccessLogRecord } from '../../../agent/proxy/access-log.ts';
import { route, send, startUpstream, until, type TestUpstream } from './proxy-harness.ts';
import { startTrafficProxy, type TrafficProxy } from './traffic-harness.ts';

describe('access log', () => {
  let proxy: TrafficProxy;
  let app: TestUpstream;
  const lines: string[] = [];

  beforeAll(async () => {
    const stream = new PassThrough();
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      lines.push(...complete);
    });
    proxy = await startTrafficProxy({ accessLog: stream });
    app = await startUpstream('app');
    await proxy.services.switch('shop', route(app.target, { hosts: ['shop.test'] }));
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('writes one JSON line per request with the service, status, timing, size and ids', async () => {
    const reply = await send(proxy.url, '/orders/7?token=secret', {
      host: 'shop.test',
      headers: { 'x-request-id': 'req-1' },
    });
    await until(() => lines.length >= 1);
    const record = JSON.parse(lines[0] ?? '') as AccessLogRecord;
    expect(record).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      service: 'shop',
      method: 'GET',
      host: 'shop.test',
      path: '/orders/7',
      status: 200,
      durationMs: expect.any(Number),
      bytes: Buffer.byteLength(reply.text),
      target: app.target,
      requestId: 'req-1',
      clientIp: '127.0.0.1',
    });
    expect(record.durationMs).toBeGreaterThan(0);
  });

  it('logs requests the proxy answers itself, with a request id of its own', async () => {
    lines.length = 0;
    await send(proxy.url, '/', { host: 'nowhere.test' });
    await until(() => lines.length >= 1);
    const record = JSON.parse(lines[0] ?? '') as AccessLogRecord;
    expect(record).toMatchObject({ service: '', status: 404, target: '', host: 'nowhere.test' });
    expect(record.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(record.bytes).toBeGreaterThan(0);
  });

  it("records the headers the service's logging asks for, and only those", async () => {
    await proxy.services.switch(
      'blog',
      route(app.target, {
        hosts: ['blog.test'],
        logRequestHeaders: ['User-Agent', 'X-Trace', 'Cache-Control'],
        logResponseHeaders: ['X-Upstream', 'Last-Modified'],
      }),
    );
    lines.length = 0;
    await send(proxy.url, '/', {
      host: 'blog.test',
      headers: { 'user-agent': 'probe/1', 'x-trace': 'abc', authorization: 'Bearer secret' },
    });
    await until(() => lines.length >= 1);
    const record = JSON.parse(lines[0] ?? '') as AccessLogRecord;
    expect(record.service).toBe('blog');
    expect(record.requestHeaders).toEqual({ 'user-agent': 'probe/1', 'x-trace': 'abc' });
    expect(record.responseHeaders).toEqual({ 'x-upstream': 'app' });
    expect(lines[0]).not.toContain('secret');

    lines.length = 0;
    await send(proxy.url, '/', { host: 'shop.test', headers: { 'user-agent': 'probe/1' } });
    await until(() => lines.length >= 1);
    const plain = JSON.parse(lines[0] ?? '') as AccessLogRecord;
    expect(plain).not.toHaveProperty('requestHeaders');
    expect(plain).not.toHaveProperty('responseHeaders');
  });
});

describe('AccessLog writes', () => {
  const record = (path: string): AccessLogRecord => ({
    time: '2026-11-22T00:00:00.000Z',
    service: 'shop',
    method: 'GET',
    host: 'shop.test',
    path,
    status: 200,
    durationMs: 1,
    bytes: 2,
    target: '10.0.0.2:80',
    requestId: 'r',
    clientIp: '127.0.0.1',
  });

  it('sends the lines of one event-loop turn in one write, and a large backlog at once', async () => {
    const writes: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString('utf8'));
        done();
      },
    });
    const log = new AccessLog(sink);
    for (const path of ['/a', '/b', '/c']) log.write(record(path));
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
    expect((writes[0] ?? '').split('\n').map((line) => line && JSON.parse(line).path)).toEqual([
      '/a',
      '/b',
      '/c',
      '',
    ]);

    writes.length = 0;
    const longPath = `/${'x'.repeat(70 * 1024)}`;
    log.write(record(longPath));
    expect(writes).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toHaveLength(1);
  });
});
