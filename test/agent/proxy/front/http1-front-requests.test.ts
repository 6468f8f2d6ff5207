import { afterEach, describe, expect, it } from 'vitest';
import type { ClientRequest } from '../../../../agent/proxy/client-exchange.ts';
import {
  answerText,
  closeEverything,
  echoBody,
  echoPath,
  get,
  RawClient,
  request,
  sleep,
  startFront,
  textResponse,
} from './front-harness.ts';
import { bodyDigest, countingBody, slowBodyReader, type ReadAhead } from './slow-body-reader.ts';

afterEach(closeEverything);

describe('Http1Front request bodies', () => {
  it('hands a Content-Length body and a chunked body to req.body intact', async () => {
    const { port } = await startFront(echoBody);
    const client = await RawClient.connect(port);
    client.write(request('POST', '/', 'Content-Length: 11') + 'hello');
    await sleep(30);
    client.write(' world');
    expect((await client.readResponse()).body.toString()).toBe('hello world');
    client.write(request('POST', '/', 'Transfer-Encoding: chunked') + '3;ext=1\r\nabc\r\n');
    await sleep(30);
    client.write('4\r\ndefg\r\n');
    await sleep(30);
    client.write('0\r\n\r\n');
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('abcdefg'));
  });

  it('exposes the head as node:http does', async () => {
    let seen: ClientRequest | undefined;
    const { port } = await startFront((req, res) => {
      seen = req;
      answerText('ok')(req, res);
    });
    const client = await RawClient.connect(port);
    client.write(
      'PATCH /p?q=1 HTTP/1.1\r\nHost: app.test\r\nX-Multi: a\r\nx-multi: b\r\n' +
        'Cookie: c=1\r\ncookie: d=2\r\nSet-Cookie: s=1\r\nset-cookie: s=2\r\n' +
        'Content-Type: text/a\r\ncontent-type: text/b\r\nContent-Length: 0\r\n\r\n',
    );
    await client.readResponse();
    expect(seen?.method).toBe('PATCH');
    expect(seen?.url).toBe('/p?q=1');
    expect(seen?.rawHeaders.slice(0, 6)).toEqual([
      'Host',
      'app.test',
      'X-Multi',
      'a',
      'x-multi',
      'b',
    ]);
    expect(seen?.headers).toEqual({
      host: 'app.test',
      'x-multi': 'a, b',
      cookie: 'c=1; d=2',
      'set-cookie': ['s=1', 's=2'],
      'content-type': 'text/a',
      'content-length': '0',
    });
  });

  it('reads a large body only as fast as a slow reader takes it', async () => {
    const body = countingBody();
    const readAheads: ReadAhead[] = [];
    const { port } = await startFront(slowBodyReader(readAheads));
    const client = await RawClient.connect(port);
    client.write(request('POST', '/', `Content-Length: ${body.length}`));
    client.write(body);
    const response = await client.readResponse({ timeoutMs: 20_000 });
    expect(response.body.toString()).toBe(bodyDigest(body));
    // Unbounded buffering would have read all 4 MiB before the reader started.
    expect(readAheads[0]?.beforeReading).toBeLessThan(1024 * 1024);
    expect(readAheads[0]?.max).toBeLessThan(1024 * 1024);
  });

  it('keeps the next request working when the answer comes before the body', async () => {
    const { port } = await startFront((req, res) => {
      if (req.method === 'POST') answerText('early')(req, res);
      else answerText('next')(req, res);
    });
    const client = await RawClient.connect(port);
    client.write(request('POST', '/', 'Content-Length: 1048576'));
    expect((await client.readResponse()).body.toString()).toBe('early');
    client.write(Buffer.alloc(1024 * 1024, 'z'));
    client.write(get('/'));
    expect((await client.readResponse()).body.toString()).toBe('next');
  });

  it.each([
    ['an unread body over the hold limit', 100_000, false],
    ['a body stream never read', 40_000, true],
    ['a small unread body', 1_000, false],
  ])(
    'keeps the next request working after an answer that ignored %s',
    async (_name, size, makesStream) => {
      const { port } = await startFront((req, res) => {
        if (req.method !== 'POST') return answerText('next')(req, res);
        if (makesStream) void req.body;
        setTimeout(() => answerText('ignored')(req, res), 200);
      });
      const client = await RawClient.connect(port);
      client.write(
        Buffer.concat([
          Buffer.from(request('POST', '/', `Content-Length: ${size}`)),
          Buffer.alloc(size, 'b'),
        ]),
      );
      expect((await client.readResponse()).body.toString()).toBe('ignored');
      client.write(get('/'));
      expect((await client.readResponse()).body.toString()).toBe('next');
    },
  );
});

describe('Http1Front Expect', () => {
  it('answers 100 Continue at once, before the final response', async () => {
    const log: string[] = [];
    const { port } = await startFront((req, res) => {
      log.push('handler');
      echoBody(req, res);
    });
    const client = await RawClient.connect(port);
    client.write(request('POST', '/', 'Expect: 100-continue', 'Content-Length: 4'));
    expect(await client.readExactly(25)).toBe('HTTP/1.1 100 Continue\r\n\r\n');
    expect(log).toEqual(['handler']);
    await sleep(50);
    expect(client.pending.length).toBe(0);
    client.write('data');
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('data'));
  });

  it('answers any other expectation with 417 and closes', async () => {
    const log: string[] = [];
    const { port } = await startFront((req, res) => {
      log.push('handler');
      echoBody(req, res);
    });
    const client = await RawClient.connect(port);
    client.write(request('POST', '/', 'Expect: something-else', 'Content-Length: 4'));
    const response = await client.readResponse();
    expect(response.head).toMatch(
      /^HTTP\/1\.1 417 Expectation Failed\r\ncontent-length: 0\r\nconnection: close\r\ndate: [^\r]+ GMT\r\n\r\n$/,
    );
    await client.ended();
    expect(log).toEqual([]);
  });
});

describe('Http1Front malformed requests', () => {
  it('answers an HTTP/1.1 request without Host with 400 and closes', async () => {
    const log: string[] = [];
    const { port } = await startFront(echoPath(log));
    const client = await RawClient.connect(port);
    client.write('GET / HTTP/1.1\r\n\r\n');
    const response = await client.readResponse();
    expect(response.head).toMatch(
      /^HTTP\/1\.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: [^\r]+\r\n\r\n$/,
    );
    await client.ended();
    expect(log).toEqual([]);
    const old = await RawClient.connect(port);
    old.write('GET /old HTTP/1.0\r\n\r\n');
    expect((await old.readResponse()).body.toString()).toBe('path /old');
  });

  it('answers garbage with 400 and closes, also after a good request', async () => {
    const { port } = await startFront(answerText('ok'));
    const badRequest = 'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n';
    const client = await RawClient.connect(port);
    client.write('HELLO THERE\r\n\r\n');
    await client.ended();
    expect(client.received.toString()).toBe(badRequest);
    const second = await RawClient.connect(port);
    second.write(get('/'));
    expect((await second.readResponse()).raw.toString()).toBe(textResponse('ok'));
    second.write('GET / HTTP/1.1\r\nHost app.test\r\n\r\n');
    await second.ended();
    expect(second.pending.toString()).toBe(badRequest);
  });

  it('refuses a request with both Content-Length and Transfer-Encoding', async () => {
    const log: string[] = [];
    const { port } = await startFront(echoPath(log));
    const client = await RawClient.connect(port);
    client.write(
      request('POST', '/', 'Content-Length: 5', 'Transfer-Encoding: chunked') +
        '0\r\n\r\n' +
        get('/smuggled'),
    );
    await client.ended();
    expect(client.received.toString()).toBe(
      'HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    );
    expect(log).toEqual([]);
  });

  it('answers a head over 16 KiB with 431, and takes one just under it', async () => {
    const { port } = await startFront(answerText('ok'));
    const client = await RawClient.connect(port);
    client.write(get('/', `X-Big: ${'a'.repeat(15 * 1024)}`));
    expect((await client.readResponse()).raw.toString()).toBe(textResponse('ok'));
    client.write(get('/', `X-Big: ${'a'.repeat(17 * 1024)}`));
    await client.ended();
    expect(client.pending.toString()).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n',
    );
  });
});
