import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTarget } from '../../../agent/proxy/upstream-pool.ts';
import { until } from './proxy-harness.ts';
import {
  exchange,
  onRequestHeads,
  patterned,
  piecesOf,
  poolFor,
  rawResponse,
  RecordingSink,
  requestFor,
  runCleanups,
  sha256,
  startHttpApp,
  startRawApp,
  upstreamErrorOf,
} from './upstream-pool-harness.ts';

afterEach(runCleanups);

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
