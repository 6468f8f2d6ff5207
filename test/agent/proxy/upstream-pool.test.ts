import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamRequest } from '../../../agent/proxy/upstream-call.ts';
import { UpstreamError } from '../../../agent/proxy/upstream-error.ts';
import { parseTarget, UpstreamPool } from '../../../agent/proxy/upstream-pool.ts';
import { until } from './proxy-harness.ts';
import {
  closedPort,
  onRequestHeads,
  rawResponse,
  RecordingSink,
  requestFor,
  sleep,
  startHttpApp,
  startRawApp,
} from './upstream-pool-harness.ts';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function poolFor(app: { target: string; close(): Promise<void> }): UpstreamPool {
  const pool = new UpstreamPool(app.target);
  cleanups.push(
    () => app.close(),
    () => pool.destroy(),
  );
  return pool;
}

/** Sends `request` and waits for its end or its error. */
async function exchange(pool: UpstreamPool, request: UpstreamRequest): Promise<RecordingSink> {
  const sink = new RecordingSink();
  pool.request(request, sink);
  await sink.settled;
  return sink;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Bytes that differ along the way, so a lost or moved piece shows. */
function patterned(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i + 4 <= length; i += 4) data.writeUInt32BE(i, i);
  return data;
}

function piecesOf(data: Buffer, size: number): Buffer[] {
  return Array.from({ length: Math.ceil(data.length / size) }, (_, i) =>
    data.subarray(i * size, (i + 1) * size),
  );
}

function upstreamErrorOf(sink: RecordingSink): UpstreamError {
  expect(sink.error).toBeInstanceOf(UpstreamError);
  return sink.error as UpstreamError;
}

describe('UpstreamPool: exchanges', () => {
  it('answers a GET and reuses the connection for the next one', async () => {
    const app = await startHttpApp((req, res) => res.end(`hello ${req.url ?? ''}`));
    const pool = poolFor(app);
    const headers = ['host', 'app.test', 'x-request-id', 'r1'];
    const first = await exchange(pool, requestFor('/one', { headers }));
    const second = await exchange(pool, requestFor('/two'));
    expect([first.statusCode, first.statusMessage, first.body.toString()]).toEqual([
      200,
      'OK',
      'hello /one',
    ]);
    expect(second.body.toString()).toBe('hello /two');
    expect(first.events).toEqual(['head', 'end']);
    expect(app.received[0]?.rawHeaders).toEqual(['host', 'app.test', 'x-request-id', 'r1']);
    expect(app.sockets).toHaveLength(1);
    expect(pool.connectionCount).toBe(1);
  });

  it('reads no body after a HEAD whose answer has a Content-Length, and reuses the connection', async () => {
    const app = await startHttpApp((req, res) => {
      res.writeHead(200, { 'content-length': '11' });
      res.end(req.method === 'HEAD' ? undefined : 'hello world');
    });
    const pool = poolFor(app);
    const head = await exchange(pool, requestFor('/', { method: 'HEAD' }));
    expect([head.statusCode, head.header('content-length'), head.body.length]).toEqual([
      200,
      '11',
      0,
    ]);
    expect(head.events).toEqual(['head', 'end']);
    const get = await exchange(pool, requestFor('/'));
    expect(get.body.toString()).toBe('hello world');
    expect(app.sockets).toHaveLength(1);
  });

  it('de-chunks a chunked response, extensions and trailers included', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, () =>
        socket.write(
          'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' +
            '5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nx-trailer: t\r\n\r\n',
        ),
      ),
    );
    const pool = poolFor(app);
    const first = await exchange(pool, requestFor('/'));
    const second = await exchange(pool, requestFor('/'));
    expect(first.header('transfer-encoding')).toBe('chunked');
    expect(first.body.toString()).toBe('hello world');
    expect(second.body.toString()).toBe('hello world');
    expect(app.sockets).toHaveLength(1);
  });

  it('delivers a close-delimited response whole and does not reuse its connection', async () => {
    const app = await startRawApp((socket, index) =>
      onRequestHeads(socket, () => {
        socket.write(`HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nfirst part ${index}, `);
        setTimeout(() => socket.end('second part'), 50);
      }),
    );
    const pool = poolFor(app);
    const first = await exchange(pool, requestFor('/'));
    expect(first.events.at(-1)).toBe('end');
    expect(first.body.toString()).toBe('first part 0, second part');
    const second = await exchange(pool, requestFor('/'));
    expect(second.body.toString()).toBe('first part 1, second part');
    expect(app.sockets).toHaveLength(2);
  });

  it('streams a Content-Length request body, large enough to wait for the socket to drain', async () => {
    const app = await startHttpApp((_req, res, body) => res.end(sha256(body)));
    const pool = poolFor(app);
    const payload = patterned(16 * 1024 * 1024);
    const request = requestFor('/upload', {
      method: 'POST',
      headers: ['host', 'app.test', 'content-length', String(payload.length)],
      body: Readable.from(piecesOf(payload, 65_536)),
    });
    const sink = await exchange(pool, request);
    expect(sink.body.toString()).toBe(sha256(payload));
    expect(app.received[0]?.headers['content-length']).toBe(String(payload.length));
    expect(app.received[0]?.headers['transfer-encoding']).toBeUndefined();
    expect((await exchange(pool, requestFor('/'))).statusCode).toBe(200);
    expect(app.sockets).toHaveLength(1);
  });

  it('sends a body without length as chunked, and a node:http app reads it intact', async () => {
    const app = await startHttpApp((_req, res, body) => res.end(body));
    const pool = poolFor(app);
    const pieces = ['grüße ', '', 'from ', 'the ', 'client ✓'].map((text) => Buffer.from(text));
    const request = requestFor('/', {
      method: 'PUT',
      body: Readable.from(pieces),
      isBodyChunked: true,
    });
    const sink = await exchange(pool, request);
    expect(sink.body.toString()).toBe('grüße from the client ✓');
    expect(app.received[0]?.headers['transfer-encoding']).toBe('chunked');
    expect((await exchange(pool, requestFor('/'))).statusCode).toBe(200);
    expect(app.sockets).toHaveLength(1);
  });

  it('keeps a large chunked body intact while the socket pushes back', async () => {
    const app = await startHttpApp((_req, res, body) => res.end(sha256(body)));
    const pool = poolFor(app);
    const payload = patterned(16 * 1024 * 1024);
    const request = requestFor('/', {
      method: 'POST',
      body: Readable.from(piecesOf(payload, 65_536)),
      isBodyChunked: true,
    });
    const sink = await exchange(pool, request);
    expect([sink.statusCode, sink.body.toString()]).toEqual([200, sha256(payload)]);
    expect(app.received[0]?.body.length).toBe(payload.length);
  });

  it("sends the app's address as Host when the request has none", async () => {
    const app = await startHttpApp((_req, res) => res.end());
    const pool = poolFor(app);
    await exchange(pool, requestFor('/', { headers: ['accept', '*/*'], hasHost: false }));
    expect(app.received[0]?.rawHeaders).toEqual(['accept', '*/*', 'host', `127.0.0.1:${app.port}`]);
  });

  it('reads a head that comes in pieces, and one with more headers than node passes at once', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `x-h${i}: ${i}\r\n`).join('');
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, (_head, index) => {
        const response = rawResponse('pieces', index === 0 ? '' : many);
        for (let at = 0; at < response.length; at += 7) {
          setTimeout(() => socket.write(response.slice(at, at + 7)), at / 7);
        }
      }),
    );
    const pool = poolFor(app);
    const few = await exchange(pool, requestFor('/'));
    expect([few.statusCode, few.rawHeaders, few.body.toString()]).toEqual([
      200,
      ['content-length', '6'],
      'pieces',
    ]);
    const lots = await exchange(pool, requestFor('/'));
    expect(lots.rawHeaders).toHaveLength(82);
    expect([lots.header('x-h39'), lots.body.toString()]).toEqual(['39', 'pieces']);
    expect(app.sockets).toHaveLength(1);
  });

  it('skips 1xx informational responses, in their own read or with the final one', async () => {
    const early = 'HTTP/1.1 103 Early Hints\r\nlink: </app.css>; rel=preload\r\n\r\n';
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, (_head, index) => {
        if (index === 0) socket.write(early + rawResponse('together'));
        if (index === 1) {
          socket.write(early);
          setTimeout(() => socket.write('HTTP/1.1 100 Continue\r\n\r\n'), 20);
          setTimeout(() => socket.write(rawResponse('apart')), 40);
        }
      }),
    );
    const pool = poolFor(app);
    const together = await exchange(pool, requestFor('/'));
    const apart = await exchange(pool, requestFor('/'));
    for (const sink of [together, apart]) {
      expect(sink.events).toEqual(['head', 'end']);
      expect([sink.statusCode, sink.header('link')]).toEqual([200, undefined]);
    }
    expect([together.body.toString(), apart.body.toString()]).toEqual(['together', 'apart']);
    expect(app.sockets).toHaveLength(1);
  });
});

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

describe('UpstreamPool: shutdown', () => {
  it('close() waits for the request in flight and closes idle connections at once', async () => {
    const app = await startHttpApp((req, res) => {
      setTimeout(() => res.end(req.url), req.url === '/slow' ? 300 : 0);
    });
    const pool = poolFor(app);
    const slow = new RecordingSink();
    pool.request(requestFor('/slow'), slow);
    await exchange(pool, requestFor('/fast'));
    expect(app.sockets).toHaveLength(2);
    const order: string[] = [];
    void slow.settled.then(() => order.push('slow ended'));
    const closed = pool.close().then(() => order.push('pool closed'));
    await until(() => app.closed.size === 1);
    expect(order).toEqual([]);
    await closed;
    expect(order).toEqual(['slow ended', 'pool closed']);
    expect(slow.body.toString()).toBe('/slow');
    await until(() => app.closed.size === 2);
    expect(pool.connectionCount).toBe(0);
  });

  it('destroy() cuts requests in flight, on new and reused connections alike', async () => {
    const app = await startRawApp((socket) =>
      onRequestHeads(socket, (head, count) => {
        if (count === 0 && !head.startsWith('GET /hang')) socket.write(rawResponse('ok'));
      }),
    );
    const pool = poolFor(app);
    await exchange(pool, requestFor('/'));
    const reused = new RecordingSink();
    pool.request(requestFor('/hang'), reused);
    const fresh = new RecordingSink();
    pool.request(requestFor('/hang'), fresh);
    await until(() => app.sockets.length === 2 && app.sockets.every((s) => s.bytesRead > 0));
    await pool.destroy();
    await Promise.all([reused.settled, fresh.settled]);
    expect(upstreamErrorOf(reused).kind).toBe('reset');
    expect(upstreamErrorOf(fresh).kind).toBe('reset');
    expect(app.sockets).toHaveLength(2);
    expect(pool.connectionCount).toBe(0);
  });

  it('destroy() after close() settles both', async () => {
    const app = await startRawApp(() => undefined);
    const pool = poolFor(app);
    const sink = new RecordingSink();
    pool.request(requestFor('/'), sink);
    await until(() => app.sockets.length === 1);
    const closed = pool.close();
    await pool.destroy();
    await closed;
    expect(sink.events).toEqual(['error']);
  });
});

describe('parseTarget', () => {
  it('splits host and port, IPv6 brackets removed', () => {
    expect(parseTarget('127.0.0.1:3000')).toEqual({ host: '127.0.0.1', port: 3000 });
    expect(parseTarget('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseTarget('app.internal:80')).toEqual({ host: 'app.internal', port: 80 });
  });

  it.each(['3000', ':3000', 'app:', 'app:0', 'app:65536', 'app:http'])('rejects %j', (target) => {
    expect(() => parseTarget(target)).toThrow('is not host:port');
  });
});
