import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Http1Front } from '../../../../agent/proxy/front/http1-front.ts';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../shared/tls/self-signed-certificate.ts';
import { answerText, get, request, textResponse, until } from './front-harness.ts';
import { bodyDigest, countingBody, slowBodyReader, type ReadAhead } from './slow-body-reader.ts';

/**
 * The front's parser reads straight from the socket's stream handle (plain TCP and TLS), so a
 * request costs no 'data' event; bytes a socket read before the front took it, and an upgraded
 * socket's bytes, still arrive.
 */

const servers: Server[] = [];
const clients: Duplex[] = [];
let certificate: SelfSignedCertificate;

beforeAll(async () => {
  certificate = await createSelfSignedCertificate({
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(
    servers
      .splice(0)
      .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/** Counts the 'data' events each accepted socket emits while the front serves it. */
class DataEventCounter {
  count = 0;
  watch(socket: Socket): void {
    socket.on('data', () => this.count++);
  }
}

function makeFront(): Http1Front {
  return new Http1Front({
    onRequest: answerText('ok'),
    onUpgrade: (_req, socket, head) => {
      clients.push(socket);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\n\r\nhead=${head.toString()};`);
      socket.on('data', (data: Buffer) => socket.write(data.toString().toUpperCase()));
    },
    onHandlerError: () => undefined,
  });
}

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Connects over TLS (HTTP/1.1 by ALPN) and collects what the server sends. */
async function connectTls(port: number): Promise<{ socket: TLSSocket; received: () => string }> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    ca: certificate.certPem,
    servername: 'localhost',
    ALPNProtocols: ['http/1.1'],
  });
  clients.push(socket);
  let received = '';
  socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => received };
}

async function receivedExactly(received: () => string, expected: string): Promise<void> {
  await until(() => received().length >= expected.length, `${expected.length} bytes`);
  expect(received()).toBe(expected);
}

describe('the front reading a socket', () => {
  it('parses plain TCP requests without a single data event', async () => {
    const front = makeFront();
    const counter = new DataEventCounter();
    const port = await listen(
      createServer({ allowHalfOpen: true }, (socket) => {
        counter.watch(socket);
        front.accept(socket);
      }),
    );
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    let received = '';
    socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
    socket.write(get('/one'));
    await receivedExactly(() => received, textResponse('ok'));
    socket.write(get('/two') + get('/three'));
    await receivedExactly(() => received, textResponse('ok').repeat(3));
    expect(counter.count).toBe(0);
    front.destroyAll();
  });

  it('over TLS, serves a request the socket read before the front took it, then the rest', async () => {
    const front = makeFront();
    const counter = new DataEventCounter();
    const server = createTlsServer({ key: certificate.keyPem, cert: certificate.certPem });
    server.on('secureConnection', (socket: TLSSocket) => {
      // Hold the socket until the client's first request sits in its read buffer.
      const take = (): void => {
        if (socket.readableLength === 0) {
          setTimeout(take, 5);
          return;
        }
        counter.watch(socket);
        front.accept(socket);
      };
      take();
    });
    const port = await listen(server);
    const { socket, received } = await connectTls(port);
    socket.write(get('/early'));
    await receivedExactly(received, textResponse('ok'));
    expect(counter.count).toBe(1);
    socket.write(get('/later') + get('/pipelined'));
    await receivedExactly(received, textResponse('ok').repeat(3));
    expect(counter.count).toBe(1);
    front.destroyAll();
  });

  it('keeps bytes a client sends after an upgrade until the handler reads them', async () => {
    const front = new Http1Front({
      onRequest: answerText('ok'),
      // As the tunnel does, the handler reads only once the app has answered the upgrade.
      onUpgrade: (_req, socket) => {
        clients.push(socket);
        setTimeout(() => {
          socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n');
          socket.on('data', (data: Buffer) => socket.write(data.toString().toUpperCase()));
        }, 150);
      },
      onHandlerError: () => undefined,
    });
    const port = await listen(createServer({ allowHalfOpen: true }, front.accept));
    const socket = connect(port, '127.0.0.1');
    clients.push(socket);
    let received = '';
    socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.write('sent-before-the-101');
    await receivedExactly(
      () => received,
      'HTTP/1.1 101 Switching Protocols\r\n\r\nSENT-BEFORE-THE-101',
    );
  });

  it('over TLS, reads a large body only as fast as a slow reader takes it', async () => {
    const body = countingBody();
    const readAheads: ReadAhead[] = [];
    const front = new Http1Front({
      onRequest: slowBodyReader(readAheads),
      onUpgrade: (_req, socket) => socket.destroy(),
      onHandlerError: () => undefined,
    });
    const server = createTlsServer({ key: certificate.keyPem, cert: certificate.certPem });
    server.on('secureConnection', (socket: TLSSocket) => front.accept(socket));
    const port = await listen(server);
    const { socket, received } = await connectTls(port);
    socket.write(request('POST', '/', `Content-Length: ${body.length}`));
    socket.write(body);
    await until(() => received().length > 0, 'the answer', 20_000);
    await receivedExactly(received, textResponse(bodyDigest(body)));
    // Unbounded buffering would have read all 4 MiB before the reader started.
    expect(readAheads[0]?.beforeReading).toBeLessThan(1024 * 1024);
    expect(readAheads[0]?.max).toBeLessThan(1024 * 1024);
    front.destroyAll();
  });

  it('over TLS, hands an upgraded socket over with the bytes after the head', async () => {
    const front = makeFront();
    const server = createTlsServer({ key: certificate.keyPem, cert: certificate.certPem });
    server.on('secureConnection', (socket: TLSSocket) => front.accept(socket));
    const port = await listen(server);
    const { socket, received } = await connectTls(port);
    // A plain request first, so the upgrade comes on a socket the parser has been reading.
    socket.write(get('/first'));
    await receivedExactly(received, textResponse('ok'));
    socket.write(
      'GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nearly',
    );
    const switched = `${textResponse('ok')}HTTP/1.1 101 Switching Protocols\r\n\r\nhead=early;`;
    await receivedExactly(received, switched);
    expect(front.connectionCount).toBe(0);
    socket.write(get('/not-parsed'));
    await receivedExactly(received, switched + get('/not-parsed').toUpperCase());
  });
});
