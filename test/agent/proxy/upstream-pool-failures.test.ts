import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamPool } from '../../../agent/proxy/upstream-pool.ts';
import { until } from './proxy-harness.ts';
import {
  cleanups,
  closedPort,
  exchange,
  onRequestHeads,
  piecesOf,
  poolFor,
  rawResponse,
  RecordingSink,
  requestFor,
  runCleanups,
  sleep,
  startHttpApp,
  startRawApp,
  upstreamErrorOf,
} from './upstream-pool-harness.ts';

afterEach(runCleanups);

describe('UpstreamPool: failures', () => {
  it('answers 504 when the head does not come in time, and closes the connection', async () => {
    const app = await startRawApp(() => undefined);
    const pool = poolFor(app);
    const started = performance.now();
    const sink = await exchange(pool, requestFor('/', { responseTimeoutMs: 200 }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    const error = upstreamErrorOf(sink);
    expect([error.kind, error.status]).toEqual(['timeout', 504]);
    expect(sink.events).toEqual(['error']);
    await until(() => app.closed.size === 1);
    expect(pool.connectionCount).toBe(0);
  });

  it('times each head from its own request on a reused connection', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, (head) => {
        if (!head.startsWith('GET /hang')) setTimeout(() => socket.write(rawResponse('ok')), 150);
      }),
    );
    const pool = poolFor(app);
    const options = { responseTimeoutMs: 250 };
    for (let i = 0; i < 3; i += 1) {
      expect((await exchange(pool, requestFor('/', options))).body.toString()).toBe('ok');
    }
    const short = await exchange(pool, requestFor('/hang', { responseTimeoutMs: 100 }));
    expect(upstreamErrorOf(short).kind).toBe('timeout');
    expect(app.sockets).toHaveLength(1);
  });

  it('times the head from the last body byte sent, not from the start of a slow upload', async () => {
    const app = await startHttpApp((_req, res, body) => res.end(body));
    const pool = poolFor(app);
    const body = new PassThrough();
    const sink = new RecordingSink();
    const request = { method: 'POST', body, isBodyChunked: true, responseTimeoutMs: 400 };
    pool.request(requestFor('/', request), sink);
    for (let i = 0; i < 8; i += 1) {
      body.write(`${i}`);
      await sleep(100);
    }
    body.end();
    await sink.settled;
    expect([sink.statusCode, sink.body.toString()]).toEqual([200, '01234567']);
  });

  it('still answers 504 when the app stops reading the body and never answers', async () => {
    const app = await startRawApp((socket) => socket.pause());
    const pool = poolFor(app);
    const request = requestFor('/', {
      method: 'POST',
      body: Readable.from(piecesOf(Buffer.alloc(32 * 1024 * 1024), 65_536)),
      isBodyChunked: true,
      responseTimeoutMs: 300,
    });
    const error = upstreamErrorOf(await exchange(pool, request));
    expect([error.kind, error.status]).toEqual(['timeout', 504]);
  });

  it('answers 502 when the app refuses the connection', async () => {
    const pool = new UpstreamPool(`127.0.0.1:${await closedPort()}`);
    cleanups.push(() => pool.destroy());
    const sink = await exchange(pool, requestFor('/'));
    const error = upstreamErrorOf(sink);
    expect([error.kind, error.status]).toEqual(['connect', 502]);
    expect(sink.events).toEqual(['error']);
    expect(pool.connectionCount).toBe(0);
  });

  it('cuts the response when the app resets mid-body, after the head went out', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten..');
        setTimeout(() => socket.resetAndDestroy(), 30);
      }),
    );
    const pool = poolFor(app);
    const sink = await exchange(pool, requestFor('/'));
    expect(sink.events[0]).toBe('head');
    expect(sink.events.at(-1)).toBe('error');
    const error = upstreamErrorOf(sink);
    expect([error.kind, error.status]).toEqual(['reset', 502]);
    expect(pool.connectionCount).toBe(0);
  });

  it('reports bytes that are not HTTP/1.1 as kind other', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () => socket.write('SMTP ready\r\n\r\n')),
    );
    const pool = poolFor(app);
    const error = upstreamErrorOf(await exchange(pool, requestFor('/')));
    expect([error.kind, error.status]).toEqual(['other', 502]);
    await until(() => app.closed.size === 1);
  });

  it.each([
    ['bytes', ' and more'],
    ['a second response', rawResponse('a second answer')],
  ])(
    'ends a response at its Content-Length and drops a connection that sent %s more',
    async (_, more) => {
      const app = await startRawApp((socket, index) =>
        onRequestHeads(socket, () => socket.write(`${rawResponse(`hello ${index}`)}${more}`)),
      );
      const pool = poolFor(app);
      const first = await exchange(pool, requestFor('/'));
      expect(first.events).toEqual(['head', 'end']);
      expect(first.body.toString()).toBe('hello 0');
      await until(() => app.closed.size === 1);
      expect((await exchange(pool, requestFor('/'))).body.toString()).toBe('hello 1');
      expect(app.sockets).toHaveLength(2);
    },
  );

  it('passes on the error of a failing request body and closes the connection', async () => {
    const app = await startRawApp(() => undefined);
    const pool = poolFor(app);
    const body = new PassThrough();
    const sink = new RecordingSink();
    pool.request(
      requestFor('/', { method: 'POST', body, headers: ['host', 'a', 'content-length', '100'] }),
      sink,
    );
    body.write('partial');
    await until(() => (app.sockets[0]?.bytesRead ?? 0) > 0);
    const failure = new Error('the client went away');
    body.destroy(failure);
    await sink.settled;
    expect(sink.error).toBe(failure);
    expect(sink.events).toEqual(['error']);
    await until(() => app.closed.size === 1);
    expect(pool.connectionCount).toBe(0);
  });
});

describe('UpstreamPool: stale keep-alive connections', () => {
  /** Answers the first request on each connection; a later one closes it unanswered. */
  async function startClosingApp(): Promise<Awaited<ReturnType<typeof startRawApp>>> {
    return startRawApp((socket, index) =>
      onRequestHeads(socket, (_head, count) => {
        if (count === 0) socket.write(rawResponse(`connection ${index}`));
        else socket.destroy();
      }),
    );
  }

  it('sends a GET again on a new connection when the reused one closes unanswered', async () => {
    const app = await startClosingApp();
    const pool = poolFor(app);
    expect((await exchange(pool, requestFor('/'))).body.toString()).toBe('connection 0');
    const retried = await exchange(pool, requestFor('/'));
    expect(retried.events).toEqual(['head', 'end']);
    expect(retried.body.toString()).toBe('connection 1');
    expect(app.sockets).toHaveLength(2);
  });

  it('does not send a POST again: it fails as reset', async () => {
    const app = await startClosingApp();
    const pool = poolFor(app);
    await exchange(pool, requestFor('/'));
    const sink = await exchange(pool, requestFor('/', { method: 'POST' }));
    const error = upstreamErrorOf(sink);
    expect([error.kind, error.status]).toEqual(['reset', 502]);
    expect(app.sockets).toHaveLength(1);
  });

  it('sends a GET again only once', async () => {
    const app = await startRawApp((socket, index) =>
      onRequestHeads(socket, (_head, count) => {
        if (index === 0 && count === 0) socket.write(rawResponse('first'));
        else socket.destroy();
      }),
    );
    const pool = poolFor(app);
    await exchange(pool, requestFor('/'));
    expect(upstreamErrorOf(await exchange(pool, requestFor('/'))).kind).toBe('reset');
    expect(app.sockets).toHaveLength(2);
  });

  it('gets a GET through when the app closes each connection right after answering', async () => {
    const app = await startRawApp((socket, index) =>
      onRequestHeads(socket, () => socket.end(rawResponse(`connection ${index}`))),
    );
    const pool = poolFor(app);
    await exchange(pool, requestFor('/'));
    // Whether the pool sees the close before it reuses the connection or after, this succeeds.
    const second = await exchange(pool, requestFor('/'));
    expect([second.statusCode, second.body.toString()]).toEqual([200, 'connection 1']);
    expect(app.sockets).toHaveLength(2);
  });

  it("drops an idle connection past the app's Keep-Alive timeout, less a margin", async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () => socket.write(rawResponse('ok', 'keep-alive: timeout=2\r\n'))),
    );
    const pool = poolFor(app);
    await exchange(pool, requestFor('/'));
    await exchange(pool, requestFor('/'));
    expect(app.sockets).toHaveLength(1);
    // The app allows 2 s idle; the pool keeps 1 s of it.
    await sleep(1_500);
    await exchange(pool, requestFor('/'));
    expect(app.sockets).toHaveLength(2);
    await until(() => app.closed.size === 1);
    expect([...app.closed][0]).toBe(app.sockets[0]);
    // Nothing more is sent: the periodic sweep closes the second one too.
    await until(() => app.closed.size === 2, 5_000);
    expect(pool.connectionCount).toBe(0);
  });
});
