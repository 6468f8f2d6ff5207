import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { route, startUpstream, until, type Echo, type TestUpstream } from './proxy-harness.ts';
import { startTrafficProxy, type TrafficProxy } from './traffic-harness.ts';

const memoryBytes = 4_096;
const maxRequestBodyBytes = 64_000;

/** A raw client: writes `parts` with a pause between them; resolves with the whole answer. */
async function sendInParts(port: number, parts: string[], pauseMs: number, onPause: () => void) {
  const socket: Socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  const closed = new Promise((resolve) => socket.once('close', resolve));
  for (const [i, part] of parts.entries()) {
    if (i > 0) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      onPause();
    }
    socket.write(part);
  }
  await until(() => answer.includes('"upstream"') || answer.startsWith('HTTP/1.1 413'));
  socket.end();
  await closed;
  const split = answer.indexOf('\r\n\r\n');
  const head = answer.slice(0, split);
  const raw = answer.slice(split + 4);
  const body = /transfer-encoding: chunked/i.test(head) ? dechunked(raw) : raw;
  return { status: Number(head.slice(9, 12)), head, body };
}

function dechunked(raw: string): string {
  let body = '';
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = parseInt(raw.slice(at, lineEnd), 16);
    if (!(size > 0)) return body;
    body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

function post(path: string, framing: string): string {
  return `POST ${path} HTTP/1.1\r\nHost: buffered.test\r\nConnection: close\r\n${framing}\r\n`;
}

/** `proxy.buffering.requests`: the app sees a request only once its body is in the proxy. */
describe('request buffering', () => {
  let proxy: TrafficProxy;
  let app: TestUpstream;

  beforeAll(async () => {
    proxy = await startTrafficProxy();
    app = await startUpstream('app');
    await proxy.services.switch(
      'buffered',
      route(app.target, {
        hosts: ['buffered.test'],
        requestBuffering: { memoryBytes },
        maxRequestBodyBytes,
      }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('holds a slow upload until its last byte, then the app gets it whole', async () => {
    const before = app.received;
    const seenWhilePaused: number[] = [];
    const reply = await sendInParts(
      proxy.port,
      [post('/upload', 'Content-Length: 10\r\n'), 'hello', 'world'],
      300,
      () => seenWhilePaused.push(app.received - before),
    );
    expect(seenWhilePaused).toEqual([0, 0]);
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as Echo).body).toBe('helloworld');
  });

  it('sends a buffered chunked body with its length, not chunked', async () => {
    const reply = await sendInParts(
      proxy.port,
      [
        post('/upload', 'Transfer-Encoding: chunked\r\n'),
        '5\r\nhello\r\n',
        '6\r\n world\r\n0\r\n\r\n',
      ],
      100,
      () => undefined,
    );
    const echo = JSON.parse(reply.body) as Echo;
    expect(echo.body).toBe('hello world');
    expect(echo.headers['content-length']).toBe('11');
    expect(echo.headers['transfer-encoding']).toBeUndefined();
  });

  it('streams on a body bigger than the memory it may hold, and it arrives whole', async () => {
    const before = app.received;
    const seenWhilePaused: number[] = [];
    const first = 'a'.repeat(memoryBytes + 1_000);
    const rest = 'b'.repeat(2_000);
    const reply = await sendInParts(
      proxy.port,
      [post('/upload', `Content-Length: ${first.length + rest.length}\r\n`), first, rest],
      300,
      () => seenWhilePaused.push(app.received - before),
    );
    // The app got the request while the client was still sending: past memory, it streams.
    expect(seenWhilePaused).toEqual([0, 1]);
    expect((JSON.parse(reply.body) as Echo).body).toBe(first + rest);
  });

  it('answers 413 to a chunked body over the route limit, without calling the app', async () => {
    const before = app.received;
    const big = 'x'.repeat(maxRequestBodyBytes + 1);
    const reply = await sendInParts(
      proxy.port,
      [
        post('/upload', 'Transfer-Encoding: chunked\r\n'),
        `${big.length.toString(16)}\r\n${big}\r\n0\r\n\r\n`,
      ],
      50,
      () => undefined,
    );
    expect(reply.status).toBe(413);
    expect(app.received).toBe(before);
  });
});
