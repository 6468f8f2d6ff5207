import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './proxy-harness.ts';
import {
  exchange,
  onRequestHeads,
  patterned,
  poolFor,
  RecordingSink,
  requestFor,
  runCleanups,
  sleep,
  startHttpApp,
  startRawApp,
} from './upstream-pool-harness.ts';

afterEach(runCleanups);

describe('UpstreamPool: flow control', () => {
  it('stops reading while the sink is full, until the call is resumed', async () => {
    const payload = patterned(8 * 1024 * 1024);
    const app = await startHttpApp((_req, res) => res.end(payload));
    const pool = poolFor(app);
    const sink = new RecordingSink();
    sink.isAccepting = false;
    const call = pool.request(requestFor('/'), sink);
    await until(() => sink.chunks.length > 0);
    const deliveredAtPause = sink.chunks.length;
    await sleep(300);
    expect(sink.chunks.length).toBe(deliveredAtPause);
    expect(sink.body.length).toBeLessThan(payload.length / 2);
    sink.isAccepting = true;
    call.resume();
    await sink.settled;
    expect(sink.events.at(-1)).toBe('end');
    expect(sink.body.equals(payload)).toBe(true);
    expect((await exchange(pool, requestFor('/'))).body.length).toBe(payload.length);
    expect(app.sockets).toHaveLength(1);
  });

  it('reads the next response on a connection whose sink was full at the end of the last', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () =>
        socket.write(
          'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n',
        ),
      ),
    );
    const pool = poolFor(app);
    const full = new RecordingSink();
    full.isAccepting = false;
    pool.request(requestFor('/'), full);
    await full.settled;
    expect(full.events).toEqual(['head', 'data', 'end']);
    const next = await exchange(pool, requestFor('/', { responseTimeoutMs: 2_000 }));
    expect([next.events.at(-1), next.body.toString()]).toEqual(['end', 'onetwo']);
    expect(app.sockets).toHaveLength(1);
  });

  it('closes the connection on abort mid-response and calls the sink no more', async () => {
    let appSocket: Socket | undefined;
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () => {
        appSocket = socket;
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\nfirst');
      }),
    );
    const pool = poolFor(app);
    const sink = new RecordingSink();
    const call = pool.request(requestFor('/'), sink);
    await until(() => sink.chunks.length === 1);
    call.abort();
    appSocket?.write('more bytes that nobody reads');
    await until(() => app.closed.size === 1);
    await sleep(50);
    expect(sink.events).toEqual(['head', 'data']);
    expect(sink.body.toString()).toBe('first');
    expect(pool.connectionCount).toBe(0);
  });

  it('calls the sink no more after an abort from inside onResponseData', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () =>
        socket.write(
          'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n',
        ),
      ),
    );
    const pool = poolFor(app);
    const sink = new RecordingSink();
    sink.onChunk = () => call.abort();
    const call = pool.request(requestFor('/'), sink);
    await until(() => app.closed.size === 1);
    expect(sink.events).toEqual(['head', 'data']);
    expect(sink.body.toString()).toBe('a');
  });

  it('stops sending the body when the app answers early, and does not reuse the connection', async () => {
    const app = await startHttpApp((_req, res) => res.end('too large'), { readsBody: false });
    const pool = poolFor(app);
    const body = new PassThrough();
    body.write('the first part of a long upload');
    const request = requestFor('/upload', {
      method: 'POST',
      headers: ['host', 'app.test', 'content-length', '1000000'],
      body,
    });
    const sink = await exchange(pool, request);
    expect([sink.statusCode, sink.body.toString()]).toEqual([200, 'too large']);
    expect(body.listenerCount('data')).toBe(0);
    await until(() => app.closed.size === 1);
    await exchange(pool, requestFor('/'));
    expect(app.sockets).toHaveLength(2);
  });
});
