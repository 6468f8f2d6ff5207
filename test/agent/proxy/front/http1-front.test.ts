import { Agent, request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClientRequest, ClientResponse } from '../../../../agent/proxy/client-exchange.ts';
import {
  answerText,
  closeEverything,
  echoBody,
  echoPath,
  fixedDate,
  get,
  RawClient,
  readAll,
  request,
  sleep,
  startFront,
  textResponse,
  until,
} from './front-harness.ts';

afterEach(closeEverything);

describe('Http1Front keep-alive', () => {
  it('answers two requests on one socket and keeps it open', async () => {
    const { port, front } = await startFront(echoPath([]));
    const client = await RawClient.connect(port);
    client.write(get('/a'));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('path /a'));
    client.write(get('/b'));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('path /b'));
    await sleep(100);
    expect(client.hasEnded).toBe(false);
    expect(front.connectionCount).toBe(1);
    expect(client.pending.length).toBe(0);
  });

  it('closes after a request that asks to, saying so in the response', async () => {
    const { port, front } = await startFront(answerText('bye'));
    const client = await RawClient.connect(port);
    client.write(get('/', 'Connection: close'));
    const response = await client.readResponse();
    expect(response.head).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 3\r\nconnection: close\r\n\r\n`,
    );
    expect(response.body.toString()).toBe('bye');
    await client.ended();
    expect(client.pending.length).toBe(0);
    await until(() => front.connectionCount === 0, 'the connection to be released');
  });

  it('reads nothing after a request that asks to close', async () => {
    const log: string[] = [];
    const { port } = await startFront(echoPath(log, { '/first': 50 }));
    const client = await RawClient.connect(port);
    client.write(get('/first', 'Connection: close') + get('/second'));
    await client.ended();
    const response = await client.readResponse();
    expect(response.body.toString()).toBe('path /first');
    expect(response.header('connection')).toBe('close');
    expect(client.pending.length).toBe(0);
    expect(log).toEqual(['start /first', 'end /first']);
  });

  it('works with node:http and fetch clients', async () => {
    const { port } = await startFront(echoBody);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const post = (body: string): Promise<{ text: string; port: number }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: '/', agent },
          (res) => {
            const localPort = res.socket.localPort ?? 0;
            void readAll(res).then((data) => resolve({ text: data.toString(), port: localPort }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const first = await post('one');
    const second = await post('two');
    agent.destroy();
    expect([first.text, second.text]).toEqual(['one', 'two']);
    expect(second.port).toBe(first.port);
    const reply = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'three' });
    expect(reply.status).toBe(200);
    expect(await reply.text()).toBe('three');
  });
});

describe('Http1Front pipelining', () => {
  it('answers pipelined requests in order, one handler at a time', async () => {
    const log: string[] = [];
    const { port } = await startFront(echoPath(log, { '/1': 150, '/2': 20 }));
    const client = await RawClient.connect(port);
    client.write(get('/1') + get('/2') + get('/3'));
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await client.readResponse()).body.toString());
    expect(bodies).toEqual(['path /1', 'path /2', 'path /3']);
    expect(log).toEqual(['start /1', 'end /1', 'start /2', 'end /2', 'start /3', 'end /3']);
    expect(client.pending.length).toBe(0);
  });

  it('keeps each pipelined request body with its request', async () => {
    const { port } = await startFront((req, res) => {
      void readAll(req.body).then((body) => answerText(`${req.url}=${body.toString()}`)(req, res));
    });
    const client = await RawClient.connect(port);
    client.write(
      request('POST', '/a', 'Content-Length: 3') +
        'abc' +
        request('POST', '/b', 'Transfer-Encoding: chunked') +
        '2\r\nde\r\n1\r\nf\r\n0\r\n\r\n' +
        get('/c'),
    );
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push((await client.readResponse()).body.toString());
    expect(bodies).toEqual(['/a=abc', '/b=def', '/c=']);
  });
});

describe('Http1Front response framing', () => {
  it('chunks a body without a length for an HTTP/1.1 client', async () => {
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate, 'x-a': '1' });
      res.write(Buffer.from('hello'));
      res.write(Buffer.alloc(0));
      setTimeout(() => res.end(Buffer.from(' world')), 20);
    });
    const client = await RawClient.connect(port);
    client.write(get('/'));
    await until(() => client.received.includes('0\r\n\r\n'), 'the last chunk');
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\nx-a: 1\r\ntransfer-encoding: chunked\r\n\r\n` +
        '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    );
  });

  it('chunks large writes and an empty end, and an empty body is one last chunk', async () => {
    const big = Buffer.alloc(20_000, 'x');
    const { port } = await startFront((req, res) => {
      res.writeHead(200, { date: fixedDate });
      if (req.url === '/big') res.write(big);
      res.end();
    });
    const client = await RawClient.connect(port);
    client.write(get('/big'));
    const head = `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ntransfer-encoding: chunked\r\n\r\n`;
    const first = await client.readResponse();
    expect(first.raw.toString()).toBe(`${head}4e20\r\n${big.toString()}\r\n0\r\n\r\n`);
    client.write(get('/empty'));
    expect((await client.readResponse()).raw.toString()).toBe(`${head}0\r\n\r\n`);
    expect(client.pending.length).toBe(0);
  });

  it('ends the connection to frame a body without a length for an HTTP/1.0 client', async () => {
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate });
      res.write(Buffer.from('ab'));
      setTimeout(() => res.end(Buffer.from('cd')), 20);
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.0\r\n\r\n');
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\nconnection: close\r\n\r\nabcd`,
    );
  });

  it('keeps an HTTP/1.0 keep-alive connection open when the length is known', async () => {
    const { port } = await startFront(answerText('ok'));
    const client = await RawClient.connect(port);
    const ask = 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n';
    const expected =
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 2\r\n` +
      'connection: keep-alive\r\n\r\nok';
    client.write(ask);
    expect((await client.readResponse()).raw.toString()).toBe(expected);
    client.write(ask);
    expect((await client.readResponse()).raw.toString()).toBe(expected);
    await sleep(100);
    expect(client.hasEnded).toBe(false);
  });

  it('closes an HTTP/1.0 keep-alive connection when the body has no length', async () => {
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate });
      res.end(Buffer.from('body'));
    });
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\nconnection: close\r\n\r\nbody`,
    );
  });

  it('an HTTP/1.0 request without keep-alive gets connection: close even with a length', async () => {
    const { port } = await startFront(answerText('ok'));
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.0\r\nHost: a\r\n\r\n');
    await client.ended();
    expect(client.received.toString()).toBe(
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok`,
    );
  });
});

describe('Http1Front responses without a body', () => {
  /** Writes a body whatever the request or status, to check that the front drops it. */
  function writesBodyAnyway(req: ClientRequest, res: ClientResponse): void {
    const status = Number(req.url.slice(1)) || 200;
    const headers: Record<string, string | number> = { date: fixedDate };
    if (req.url !== '/no-length') headers['content-length'] = 5;
    res.writeHead(status, headers);
    res.write(Buffer.from('hel'));
    res.end(Buffer.from('lo'));
  }

  it('writes no body bytes for HEAD, 204 and 304, and the next request still parses', async () => {
    const { port } = await startFront(writesBodyAnyway);
    const client = await RawClient.connect(port);
    client.write(request('HEAD', '/'));
    client.write(get('/204'));
    client.write(get('/304'));
    client.write(request('HEAD', '/no-length'));
    client.write(get('/'));
    const withLength = (status: string): string =>
      `HTTP/1.1 ${status}\r\ndate: ${fixedDate}\r\ncontent-length: 5\r\n\r\n`;
    const expected =
      withLength('200 OK') +
      withLength('204 No Content') +
      withLength('304 Not Modified') +
      `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\n\r\n` +
      `${withLength('200 OK')}hello`;
    await until(() => client.received.length >= expected.length, 'five responses');
    await sleep(50);
    expect(client.received.toString()).toBe(expected);
  });

  it('sends the head of a HEAD response ended without a body or a write', async () => {
    const { port } = await startFront((_req, res) => {
      res.writeHead(200, { date: fixedDate, 'content-length': 10 });
      res.end();
    });
    const client = await RawClient.connect(port);
    client.write(request('HEAD', '/') + request('HEAD', '/'));
    const head = `HTTP/1.1 200 OK\r\ndate: ${fixedDate}\r\ncontent-length: 10\r\n\r\n`;
    await until(() => client.received.length >= 2 * head.length, 'two heads');
    await sleep(50);
    expect(client.received.toString()).toBe(head + head);
  });
});
