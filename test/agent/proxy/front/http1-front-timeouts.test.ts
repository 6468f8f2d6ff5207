import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientRequest, ClientResponse } from '../../../../agent/proxy/client-exchange.ts';
import {
  answerText,
  closeEverything,
  echoPath,
  fixedDate,
  get,
  RawClient,
  request,
  sleep,
  startFront,
  until,
} from './front-harness.ts';

afterEach(closeEverything);

describe('Http1Front timeouts', () => {
  const limits = { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 };
  const timeoutResponse =
    'HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';

  it('answers a trickled head with 408 after the header timeout, then closes', async () => {
    const log: string[] = [];
    const { port } = await startFront(echoPath(log), { limits });
    const client = await RawClient.connect(port);
    const startedMs = Date.now();
    client.write('GET / HTTP/1.1\r\nHost: app.test\r\n');
    const trickle = setInterval(() => client.write('X-Slow: 1\r\n'), 50);
    try {
      await client.ended(5_000);
    } finally {
      clearInterval(trickle);
    }
    const elapsedMs = Date.now() - startedMs;
    expect(client.received.toString()).toBe(timeoutResponse);
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(2_300);
    expect(log).toEqual([]);
  });

  it('answers a stalled body with 408 after the request timeout, and aborts the body', async () => {
    let bodyError: (Error & { code?: string }) | undefined;
    let response: ClientResponse | undefined;
    let closedFinished: boolean | undefined;
    const { port, front } = await startFront(
      (req, res) => {
        response = res;
        res.once('close', () => (closedFinished = res.writableFinished));
        req.body.on('error', (error) => (bodyError = error)).resume();
      },
      { limits },
    );
    const client = await RawClient.connect(port);
    const startedMs = Date.now();
    client.write(request('POST', '/', 'Content-Length: 100') + 'x'.repeat(10));
    await client.ended(5_000);
    const elapsedMs = Date.now() - startedMs;
    expect(client.received.toString()).toBe(timeoutResponse);
    expect(elapsedMs).toBeGreaterThanOrEqual(600);
    expect(elapsedMs).toBeLessThan(2_600);
    await until(() => front.connectionCount === 0, 'the connection to close');
    await until(() => closedFinished !== undefined, "the response's close");
    expect(closedFinished).toBe(false);
    expect(response?.destroyed).toBe(true);
    expect(bodyError?.code).toBe('ECONNRESET');
  });

  it('closes a keep-alive connection idle for the keep-alive timeout', async () => {
    const { port, front } = await startFront(answerText('ok'), { limits });
    const client = await RawClient.connect(port);
    // The answer is immediate, so the idle time starts after this.
    const askedMs = Date.now();
    client.write(get('/'));
    await client.readResponse();
    await client.ended(5_000);
    const elapsedMs = Date.now() - askedMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(2_300);
    expect(client.pending.length).toBe(0);
    await until(() => front.connectionCount === 0, 'the connection to be released');
  });

  it('closes a connection that never sends a byte', async () => {
    const { port } = await startFront(answerText('ok'), { limits });
    const startedMs = Date.now();
    const client = await RawClient.connect(port);
    await client.ended(5_000);
    const elapsedMs = Date.now() - startedMs;
    expect(elapsedMs).toBeGreaterThanOrEqual(300);
    expect(elapsedMs).toBeLessThan(2_300);
    expect(client.received.length).toBe(0);
  });

  it('keeps a connection whose requests come more often than the keep-alive timeout', async () => {
    const { port } = await startFront(answerText('ok'), { limits });
    const client = await RawClient.connect(port);
    for (let i = 0; i < 6; i++) {
      client.write(get('/'));
      expect((await client.readResponse()).body.toString()).toBe('ok');
      await sleep(100);
    }
    expect(client.hasEnded).toBe(false);
  });

  it('does not close a connection whose answer takes longer than every timeout', async () => {
    const { port } = await startFront(
      (req, res) => {
        if (req.url === '/slow') {
          setTimeout(() => answerText('slow')(req, res), 1_500);
          return;
        }
        res.writeHead(200, { date: fixedDate });
        let ticks = 0;
        const timer = setInterval(() => {
          if (++ticks < 15) res.write(Buffer.from(`${ticks};`));
          else {
            clearInterval(timer);
            res.end();
          }
        }, 100);
      },
      { limits },
    );
    const client = await RawClient.connect(port);
    client.write(get('/slow'));
    expect((await client.readResponse()).body.toString()).toBe('slow');
    client.write(get('/stream'));
    const streamed = await client.readResponse();
    expect(streamed.body.toString()).toBe('1;2;3;4;5;6;7;8;9;10;11;12;13;14;');
    expect(client.hasEnded).toBe(false);
  });
});

describe('Http1Front upgrades', () => {
  /** Answers 101, then echoes what comes in upper-cased. */
  function echoUpgrade(_req: ClientRequest, socket: Duplex, head: Buffer): void {
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n',
    );
    if (head.length > 0) socket.write(head.toString().toUpperCase());
    socket.on('data', (data: Buffer) => socket.write(data.toString().toUpperCase()));
  }
  const switched =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n';

  it('hands the socket and the bytes after the head to onUpgrade', async () => {
    const requests: string[] = [];
    const { port, front, upgrades } = await startFront(echoPath(requests), {
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 300 },
      onUpgrade: echoUpgrade,
    });
    const client = await RawClient.connect(port);
    client.write(
      'GET /chat?room=1 HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\n' +
        'Upgrade: websocket\r\nX-Key: k1\r\n\r\nfirst-bytes',
    );
    expect(await client.readExactly(switched.length)).toBe(switched);
    expect(await client.readExactly(11)).toBe('FIRST-BYTES');
    const [call] = upgrades;
    expect(call?.req.method).toBe('GET');
    expect(call?.req.url).toBe('/chat?room=1');
    expect(call?.req.headers).toMatchObject({ upgrade: 'websocket', 'x-key': 'k1' });
    expect(call?.head.toString()).toBe('first-bytes');
    expect(front.connectionCount).toBe(0);
    // Past the front's timeouts, and HTTP-looking bytes are the handler's, not parsed.
    await sleep(700);
    client.write(get('/not-parsed'));
    expect(await client.readExactly(get('/').length + 10)).toBe(get('/not-parsed').toUpperCase());
    expect(requests).toEqual([]);
    expect(client.hasEnded).toBe(false);
  });

  it('takes an upgrade whose head comes in pieces, with an empty head buffer', async () => {
    const { port, upgrades } = await startFront(answerText('ok'), { onUpgrade: echoUpgrade });
    const client = await RawClient.connect(port);
    client.write('GET /ws HTTP/1.1\r\nHost: app.test\r\nConn');
    await sleep(30);
    client.write('ection: upgrade\r\nUpgrade: websocket\r\n\r');
    await sleep(30);
    client.write('\n');
    expect(await client.readExactly(switched.length)).toBe(switched);
    expect(upgrades[0]?.head.length).toBe(0);
    client.write('later');
    expect(await client.readExactly(5)).toBe('LATER');
  });

  it.each([
    {
      what: 'CONNECT with 405',
      head: 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
      status: '405 Method Not Allowed',
    },
    {
      what: 'an HTTP/1.1 upgrade without Host with 400',
      head: 'GET /chat HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
      status: '400 Bad Request',
    },
  ])('answers $what, closes, and hands nothing over', async ({ head, status }) => {
    const log: string[] = [];
    const { port, front, upgrades } = await startFront(echoPath(log));
    const client = await RawClient.connect(port);
    client.write(head);
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
    );
    expect(upgrades).toEqual([]);
    expect(log).toEqual([]);
    expect(front.connectionCount).toBe(0);
  });
});
