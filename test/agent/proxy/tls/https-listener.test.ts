import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../shared/tls/self-signed-certificate.ts';
import { connect as http2Connect } from 'node:http2';
import { send, startUpstream, type TestUpstream, until } from '../proxy-harness.ts';
import {
  customTls,
  http2Request,
  httpsGet,
  servedCertificate,
  startTlsProxy,
  startViewApp,
  tlsRoute,
  type AppView,
  type TlsTestProxy,
} from './tls-harness.ts';

/** Custom certificates only (no CA needed): SNI, HTTP/2, redirects, HSTS, WebSockets. */
describe('HTTPS listener with custom certificates', () => {
  let proxy: TlsTestProxy;
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let wsApp: TestUpstream;
  let shop: SelfSignedCertificate;
  let wildcard: SelfSignedCertificate;
  let exact: SelfSignedCertificate;

  beforeAll(async () => {
    [app, wsApp, shop, wildcard, exact] = await Promise.all([
      startViewApp(),
      startUpstream('ws'),
      createSelfSignedCertificate({ commonName: 'shop.test', dnsNames: ['shop.test'] }),
      createSelfSignedCertificate({ commonName: 'wild', dnsNames: ['*.wild.test'] }),
      createSelfSignedCertificate({ commonName: 'exact', dnsNames: ['exact.wild.test'] }),
    ]);
    proxy = await startTlsProxy();
    await proxy.client.switchService(
      'shop',
      tlsRoute(
        app.target,
        ['shop.test'],
        customTls(shop, { redirectHttp: true, hstsMaxAgeSeconds: 31_536_000 }),
      ),
    );
    await proxy.client.switchService(
      'wild',
      tlsRoute(app.target, ['*.wild.test'], customTls(wildcard)),
    );
    await proxy.client.switchService(
      'exact',
      tlsRoute(wsApp.target, ['exact.wild.test'], customTls(exact, { redirectHttp: true })),
    );
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([app?.close(), wsApp?.close()]);
  });

  it('picks the certificate by SNI: exact host first, then the wildcard', async () => {
    expect((await servedCertificate(proxy.httpsPort, 'shop.test')).fingerprint256).toBe(
      fingerprintOf(shop),
    );
    expect((await servedCertificate(proxy.httpsPort, 'a.wild.test')).fingerprint256).toBe(
      fingerprintOf(wildcard),
    );
    expect((await servedCertificate(proxy.httpsPort, 'exact.wild.test')).fingerprint256).toBe(
      fingerprintOf(exact),
    );
    await expect(servedCertificate(proxy.httpsPort, 'unknown.test')).rejects.toThrow();
    await expect(servedCertificate(proxy.httpsPort, 'a.b.wild.test')).rejects.toThrow();
  });

  it('answers HTTP/2 over TLS and speaks HTTP/1.1 to the app', async () => {
    const reply = await http2Request(
      proxy.httpsPort,
      'shop.test',
      {
        ':method': 'POST',
        ':path': '/orders?id=7',
        cookie: 'a=1',
        'x-forwarded-proto': 'http',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-host': 'forged.test',
      },
      { ca: shop.certPem, body: 'one two three' },
    );
    expect(reply.alpnProtocol).toBe('h2');
    expect(reply.headers[':status']).toBe(200);
    expect(reply.headers['strict-transport-security']).toBe('max-age=31536000');
    const view = JSON.parse(reply.text) as AppView;
    expect(view).toMatchObject({
      httpVersion: '1.1',
      method: 'POST',
      url: '/orders?id=7',
      body: 'one two three',
    });
    expect(view.headers).toMatchObject({
      host: 'shop.test',
      cookie: 'a=1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.test',
      'x-forwarded-for': '127.0.0.1',
    });
  });

  it('routes HTTP/2 by :authority, not SNI, and answers proxy errors over HTTP/2', async () => {
    const reply = await http2Request(
      proxy.httpsPort,
      'a.wild.test',
      { ':path': '/', ':authority': 'unrouted.test' },
      { ca: wildcard.certPem },
    );
    expect(reply.headers[':status']).toBe(404);
    expect(reply.text).toContain('unrouted.test');
  });

  it('answers 502 over HTTP/2 when the app sends a header HTTP/2 forbids, and keeps serving', async () => {
    const forbidden = await http2Request(
      proxy.httpsPort,
      'shop.test',
      { ':path': '/h2-forbidden' },
      { ca: shop.certPem },
    );
    expect(forbidden.headers[':status']).toBe(502);
    expect(forbidden.headers['http2-settings']).toBeUndefined();
    const next = await http2Request(
      proxy.httpsPort,
      'shop.test',
      { ':path': '/next' },
      { ca: shop.certPem },
    );
    expect(next.headers[':status']).toBe(200);
    expect((JSON.parse(next.text) as AppView).url).toBe('/next');
  });

  it('joins HTTP/2 cookie crumbs into one Cookie header for the app', async () => {
    const reply = await http2Request(
      proxy.httpsPort,
      'a.wild.test',
      { ':path': '/', cookie: ['a=1', 'b=2'] as unknown as string },
      { ca: wildcard.certPem },
    );
    expect((JSON.parse(reply.text) as AppView).headers.cookie).toBe('a=1; b=2');
  });

  it('serves HTTP/1.1 over TLS with X-Forwarded-Proto https, and HSTS only where set', async () => {
    const shopReply = await httpsGet(proxy.httpsPort, 'shop.test', '/x', {
      ca: shop.certPem,
      headers: {
        'X-Forwarded-Proto': 'http',
        'X-Forwarded-For': '203.0.113.9',
        'x-forwarded-host': 'forged.test',
      },
    });
    expect(shopReply.status).toBe(200);
    // Over TLS the proxy is the edge: the client's X-Forwarded-* are replaced, not trusted.
    expect((JSON.parse(shopReply.text) as AppView).headers).toMatchObject({
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-host': 'shop.test',
    });
    expect(shopReply.headers['strict-transport-security']).toBe('max-age=31536000');

    const wildReply = await httpsGet(proxy.httpsPort, 'a.wild.test', '/x', {
      ca: wildcard.certPem,
    });
    expect(wildReply.status).toBe(200);
    expect(wildReply.headers['strict-transport-security']).toBeUndefined();
  });

  it('redirects HTTP with 301 to the same path and query on HTTPS, where the route asks', async () => {
    const redirected = await send(proxy.httpUrl, '/cart/items?sort=asc&page=2', {
      host: 'shop.test:8080',
    });
    expect(redirected.status).toBe(301);
    expect(redirected.headers.location).toBe(
      `https://shop.test:${proxy.httpsPort}/cart/items?sort=asc&page=2`,
    );

    const served = await send(proxy.httpUrl, '/plain', { host: 'a.wild.test' });
    expect(served.status).toBe(200);
    expect((JSON.parse(served.text) as AppView).headers['x-forwarded-proto']).toBe('http');
  });

  it('tunnels a WebSocket over TLS (HTTP/1.1), and redirects ws:// where HTTPS is required', async () => {
    const secure = await webSocketHandshake(proxy.httpsPort, 'exact.wild.test', exact.certPem);
    expect(secure).toMatch(/^HTTP\/1\.1 101 /);
    expect(secure).toContain('hello from ws /chat');

    const plain = await webSocketHandshake(Number(new URL(proxy.httpUrl).port), 'exact.wild.test');
    expect(plain).toMatch(/^HTTP\/1\.1 301 /);
    expect(plain).toContain(`location: https://exact.wild.test:${proxy.httpsPort}/chat\r\n`);
  });
});

describe('HTTPS listener shutdown', () => {
  it('finishes an in-flight HTTP/2 request, then closes idle HTTP/2 and HTTP/1.1 clients', async () => {
    const [slowApp, certificate] = await Promise.all([
      startUpstream('slow'),
      createSelfSignedCertificate({ commonName: 'shop.test', dnsNames: ['shop.test'] }),
    ]);
    const proxy = await startTlsProxy();
    try {
      await proxy.client.switchService(
        'shop',
        tlsRoute(slowApp.target, ['shop.test'], {
          mode: 'custom',
          certificatePem: certificate.certPem,
          privateKeyPem: certificate.keyPem,
          redirectHttp: false,
          hstsMaxAgeSeconds: 0,
        }),
      );
      const idle = http2Connect(`https://127.0.0.1:${proxy.httpsPort}`, {
        servername: 'shop.test',
        ca: certificate.certPem,
      });
      idle.on('error', () => undefined);
      await new Promise((resolve) => idle.once('connect', resolve));
      await httpsGet(proxy.httpsPort, 'shop.test', '/', { ca: certificate.certPem });
      const slow = http2Request(
        proxy.httpsPort,
        'shop.test',
        { ':path': '/slow?ms=500' },
        { ca: certificate.certPem },
      );
      await until(() => slowApp.slowReceived > 0);
      const startedMs = performance.now();
      await proxy.stop();
      expect(performance.now() - startedMs).toBeLessThan(5_000);
      expect((await slow).headers[':status']).toBe(200);
      expect(idle.closed || idle.destroyed).toBe(true);
    } finally {
      await proxy.close();
      await slowApp.close();
    }
  });
});

function fingerprintOf(certificate: SelfSignedCertificate): string {
  return (
    certificate.fingerprint.slice('sha256:'.length).toUpperCase().match(/../g)?.join(':') ?? ''
  );
}

/**
 * Sends a WebSocket handshake for `/chat` (over TLS when `ca` is given) and returns the bytes
 * received within the first 500 ms.
 */
function webSocketHandshake(port: number, host: string, ca?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket =
      ca === undefined
        ? netConnect(port, '127.0.0.1')
        : tlsConnect({
            host: '127.0.0.1',
            port,
            servername: host,
            ca,
            ALPNProtocols: ['http/1.1'],
          });
    let received = '';
    socket.once(ca === undefined ? 'connect' : 'secureConnect', () => {
      socket.write(
        `GET /chat HTTP/1.1\r\nhost: ${host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
          'sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
      setTimeout(() => {
        socket.destroy();
        resolve(received);
      }, 500);
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.once('error', reject);
  });
}
