import { afterEach, describe, expect, it } from 'vitest';
import {
  answerText,
  closeEverything,
  fixedDate,
  get,
  RawClient,
  request,
  sleep,
  startFront,
  textResponse,
  until,
} from './front-harness.ts';

afterEach(closeEverything);

describe('Http1Front draining', () => {
  it('closes each connection after its next response once draining', async () => {
    const { port, front } = await startFront(answerText('ok'));
    const client = await RawClient.connect(port);
    client.write(get('/'));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('ok'));
    front.isDraining = true;
    client.write(get('/'));
    const last = await client.readResponse();
    expect(last.head).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n`,
    );
    await client.ended();
    expect(client.pending.length).toBe(0);
  });

  it('closeIdle closes connections idle that long, not busy or younger ones', async () => {
    const held: (() => void)[] = [];
    const { port, front } = await startFront((req, res) => {
      if (req.url === '/hold') held.push(() => answerText('late')(req, res));
      else answerText('ok')(req, res);
    });
    const idle = await RawClient.connect(port);
    idle.write(get('/'));
    await idle.readResponse();
    const busy = await RawClient.connect(port);
    busy.write(get('/hold'));
    const midHead = await RawClient.connect(port);
    midHead.write('GET / HTTP/1.1\r\nHost: app.test\r\n');
    await until(() => held.length === 1 && front.connectionCount === 3, 'three connections');
    await sleep(100);
    front.closeIdle(60_000);
    await sleep(100);
    expect([idle.hasEnded, busy.hasEnded, midHead.hasEnded]).toEqual([false, false, false]);
    front.closeIdle(50);
    await idle.ended();
    await sleep(100);
    expect([busy.hasEnded, midHead.hasEnded]).toEqual([false, false]);
    expect(front.connectionCount).toBe(2);
    held[0]?.();
    expect((await busy.readResponse()).raw.toString()).toBe(textResponse('late'));
    midHead.write('\r\n');
    expect((await midHead.readResponse()).body.toString()).toBe('ok');
  });
});

describe('Http1Front half-closed clients', () => {
  it('answers a client that sent its request and closed its side', async () => {
    const { port } = await startFront((req, res) => {
      setTimeout(() => answerText(`late ${req.url}`)(req, res), 100);
    });
    const client = await RawClient.connect(port, { allowHalfOpen: true });
    client.write(get('/a') + get('/b'));
    client.socket.end();
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('late /a'));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('late /b'));
    await client.ended();
    expect(client.pending.length).toBe(0);
  });

  it('ends a close-delimited answer to a half-closed HTTP/1.0 client', async () => {
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate });
      setTimeout(() => res.end(Buffer.from('body')), 50);
    });
    const client = await RawClient.connect(port, { allowHalfOpen: true });
    client.write('GET / HTTP/1.0\r\n\r\n');
    client.socket.end();
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\nconnection: close\r\n\r\nbody`,
    );
  });

  it('cuts a client that closed its side in the middle of a request body', async () => {
    const events: string[] = [];
    const { port, front } = await startFront((req, res) => {
      res.once('close', () => events.push(`close ${res.writableFinished}`));
      req.body
        .on('error', (error: Error & { code?: string }) => events.push(`error ${error.code}`))
        .on('end', () => events.push('end'))
        .resume();
    });
    const client = await RawClient.connect(port, { allowHalfOpen: true });
    client.write(request('POST', '/', 'Content-Length: 100') + 'abc');
    client.socket.end();
    await client.ended(2_000);
    await until(() => events.length === 2, 'the body error and the close', 2_000);
    expect(events).toEqual(['error ECONNRESET', 'close false']);
    expect(client.received.length).toBe(0);
    await until(() => front.connectionCount === 0, 'the connection to be released');
  });
});

describe('Http1Front handler errors and connection count', () => {
  it('reports a throwing handler, cuts its connection, and serves the others', async () => {
    const boom = new Error('boom');
    const { port, front, handlerErrors } = await startFront((req, res) => {
      if (req.url === '/boom') throw boom;
      answerText('ok')(req, res);
    });
    const other = await RawClient.connect(port);
    other.write(get('/'));
    await other.readResponse();
    const failing = await RawClient.connect(port);
    failing.write(get('/boom') + get('/'));
    await failing.ended();
    expect(failing.received.length).toBe(0);
    expect(handlerErrors).toEqual([boom]);
    other.write(get('/'));
    expect((await other.readResponse()).raw.toString()).toBe(textResponse('ok'));
    await until(() => front.connectionCount === 1, 'the cut connection to be released');
  });

  it('counts connections back to zero and stops its timer when clients leave', async () => {
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    await sleep(300); // the last test's sockets and timers finish closing
    const before = timers();
    const { port, front } = await startFront(answerText('ok'));
    const clients = [];
    for (let i = 0; i < 3; i++) {
      const client = await RawClient.connect(port);
      client.write(get('/'));
      await client.readResponse();
      clients.push(client);
    }
    expect(front.connectionCount).toBe(3);
    expect(timers()).toBe(before + 1);
    for (const client of clients) client.socket.destroy();
    await until(() => front.connectionCount === 0, 'every connection to be released');
    expect(timers()).toBe(before);
  });

  it('destroyAll cuts every connection it serves', async () => {
    const { port, front } = await startFront(() => undefined);
    const busy = await RawClient.connect(port);
    busy.write(get('/'));
    const idle = await RawClient.connect(port);
    await until(() => front.connectionCount === 2, 'two connections');
    front.destroyAll();
    await busy.ended();
    await idle.ended();
    await until(() => front.connectionCount === 0, 'every connection to be released');
  });
});
