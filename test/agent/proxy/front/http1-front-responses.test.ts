import { afterEach, describe, expect, it } from 'vitest';
import type { ClientResponse } from '../../../../agent/proxy/client-exchange.ts';
import {
  answerText,
  closeEverything,
  fixedDate,
  get,
  RawClient,
  sleep,
  startFront,
  textResponse,
  until,
} from './front-harness.ts';

afterEach(closeEverything);

describe("Http1Front responses' close event", () => {
  it('fires close, not finished, when the client leaves mid-response', async () => {
    const responses: ClientResponse[] = [];
    const closes: boolean[] = [];
    const { port } = await startFront((_req, res) => {
      responses.push(res);
      res.writeHead(200, { date: fixedDate });
      const timer = setInterval(() => res.write(Buffer.from('tick')), 20);
      res.once('close', () => {
        clearInterval(timer);
        closes.push(res.writableFinished);
      });
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    await until(() => client.received.includes('tick'), 'the first chunk');
    client.socket.destroy();
    await until(() => closes.length === 1, "the response's close");
    expect(closes).toEqual([false]);
    expect(responses[0]?.destroyed).toBe(true);
    expect(responses[0]?.write(Buffer.from('late'))).toBe(false);
  });

  it('fires close when a client resets while the handler is still waiting', async () => {
    const closes: boolean[] = [];
    const { port, front } = await startFront((_req, res) => {
      res.once('close', () => closes.push(res.writableFinished));
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    await until(() => front.connectionCount === 1, 'the connection');
    await sleep(50);
    client.socket.resetAndDestroy();
    await until(() => closes.length === 1, "the response's close");
    expect(closes).toEqual([false]);
  });

  it('calls a close listener once, and not one taken off', async () => {
    const calls = { kept: 0, removed: 0 };
    const { port } = await startFront((req, res) => {
      const removed = (): void => {
        calls.removed += 1;
      };
      res.once('close', () => (calls.kept += 1));
      res.once('close', removed);
      res.off('close', removed);
      answerText('ok')(req, res);
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('ok'));
    await until(() => calls.kept === 1, "the response's close");
    client.socket.destroy();
    await sleep(50);
    expect(calls).toEqual({ kept: 1, removed: 0 });
  });

  it('cuts the connection when the handler destroys the response', async () => {
    const closes: boolean[] = [];
    const { port, front } = await startFront((_req, res) => {
      res.once('close', () => closes.push(res.writableFinished));
      res.writeHead(200, { date: fixedDate });
      res.write(Buffer.from('part'));
      setTimeout(() => res.destroy(), 20);
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ntransfer-encoding: chunked\r\n\r\n4\r\npart\r\n`,
    );
    await until(() => closes.length === 1, "the response's close");
    expect(closes).toEqual([false]);
    await until(() => front.connectionCount === 0, 'the connection to be released');
  });

  it("forwards the socket's drain to a response that a slow client backs up", async () => {
    const chunk = Buffer.alloc(64 * 1024);
    const total = 256;
    const seen = { full: 0, drains: 0 };
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate, 'content-length': chunk.length * total });
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          chunk.writeUInt32BE(sent, 0);
          sent++;
          if (sent === total) {
            res.end(Buffer.from(chunk));
            return;
          }
          if (!res.write(Buffer.from(chunk))) {
            seen.full++;
            res.once('drain', () => {
              seen.drains++;
              pump();
            });
            return;
          }
        }
      };
      pump();
    });
    const client = await RawClient.connect(port);
    client.socket.pause();
    client.write(get('/'));
    await sleep(300);
    client.socket.resume();
    const response = await client.readResponse({ timeoutMs: 20_000 });
    expect(response.body.length).toBe(chunk.length * total);
    for (let i = 0; i < total; i++) {
      expect(response.body.readUInt32BE(i * chunk.length)).toBe(i);
    }
    expect(seen.full).toBeGreaterThan(0);
    expect(seen.drains).toBe(seen.full);
  });

  it('fires close after end, on a later tick, with writableFinished', async () => {
    const seen: { during: boolean; finished?: boolean }[] = [];
    const { port } = await startFront((req, res) => {
      const record: { during: boolean; finished?: boolean } = { during: false };
      seen.push(record);
      let isClosed = false;
      res.once('close', () => {
        isClosed = true;
        record.finished = res.writableFinished;
      });
      answerText('ok')(req, res);
      record.during = isClosed;
    });
    const client = await RawClient.connect(port);
    client.write(get('/') + get('/', 'Connection: close'));
    await client.readResponse();
    await client.readResponse();
    await client.ended();
    await until(() => seen.length === 2 && seen[1]?.finished !== undefined, 'both closes');
    expect(seen).toEqual([
      { during: false, finished: true },
      { during: false, finished: true },
    ]);
  });
});

describe('Http1Front response heads', () => {
  it('merges setHeader with writeHead, the writeHead header of a name winning', async () => {
    const states: unknown[] = [];
    const { port } = await startFront((_req, res) => {
      res.setHeader('X-A', 'preset');
      res.setHeader('x-b', 'b');
      res.setHeader('x-c', 'c');
      res.setHeader('x-b', 'b2');
      res.removeHeader('X-C');
      states.push(res.headersSent);
      res.writeHead(200, { 'x-a': 'head', 'set-cookie': ['s=1', 's=2'], 'content-length': 2 });
      states.push(res.headersSent);
      try {
        res.writeHead(500);
      } catch (error) {
        states.push((error as Error).message);
      }
      res.end('ok');
    });
    const client = await RawClient.connect(port);
    const startedS = Math.floor(Date.now() / 1000);
    client.write(get('/'));
    const response = await client.readResponse();
    const date = response.header('date') ?? '';
    expect(response.head).toBe(
      'HTTP/1.1 200 OK\r\nx-b: b2\r\nx-a: head\r\nset-cookie: s=1\r\nset-cookie: s=2\r\n' +
        `content-length: 2\r\ndate: ${date}\r\n\r\n`,
    );
    expect(date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const dateS = Date.parse(date) / 1000;
    expect(dateS).toBeGreaterThanOrEqual(startedS);
    expect(dateS).toBeLessThanOrEqual(Date.now() / 1000);
    expect(response.body.toString()).toBe('ok');
    expect(states).toEqual([false, true, 'the response head was already sent']);
  });

  it('keeps a Date the handler set, and takes a status line message and flat headers', async () => {
    const { port } = await startFront((req, res) => {
      if (req.url === '/flat') {
        res.setHeader('x-preset', '1');
        res.writeHead(404, 'Nowhere', ['Date', 'Mon, 02 Feb 2026 00:00:00 GMT', 'X-R', '1']);
        res.end();
      } else {
        res.statusCode = 418;
        res.end('tea');
      }
    });
    const client = await RawClient.connect(port);
    client.write(get('/flat'));
    const flat = await client.readResponse();
    expect(flat.head).toBe(
      'HTTP/1.1 404 Nowhere\r\nx-preset: 1\r\nDate: Mon, 02 Feb 2026 00:00:00 GMT\r\nX-R: 1\r\n' +
        'transfer-encoding: chunked\r\n\r\n',
    );
    expect(flat.headerCount('date')).toBe(1);
    client.write(get('/status'));
    const status = await client.readResponse();
    expect(status.statusLine).toBe("HTTP/1.1 418 I'm a Teapot");
    expect(status.header('transfer-encoding')).toBe('chunked');
    expect(status.body.toString()).toBe('tea');
  });

  it("replaces the handler's Connection header with its own", async () => {
    const { port } = await startFront((req, res) => {
      const connection = req.url === '/close' ? 'close' : 'keep-alive';
      res.writeHead(200, { date: fixedDate, connection, 'content-length': 0 });
      res.end();
    });
    const client = await RawClient.connect(port);
    client.write(get('/keep'));
    expect((await client.readResponse()).head).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 0\r\n\r\n`,
    );
    client.write(get('/close'));
    expect((await client.readResponse()).head).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`,
    );
    await client.ended();
  });
});
