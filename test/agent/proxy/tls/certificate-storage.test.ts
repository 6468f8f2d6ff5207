import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SwitchServiceRequest } from '../../../../agent/proxy/admin-protocol.ts';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../shared/tls/self-signed-certificate.ts';
import { send, until } from '../proxy-harness.ts';
import {
  servedCertificate,
  startTlsProxy,
  startViewApp,
  tlsRoute,
  type TlsTestProxy,
} from './tls-harness.ts';

describe('custom certificates', () => {
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let shop: SelfSignedCertificate;
  let other: SelfSignedCertificate;
  let proxy: TlsTestProxy;

  const shopRoute = (overrides: Partial<SwitchServiceRequest['tls']> = {}): SwitchServiceRequest =>
    tlsRoute(app.target, ['shop.test'], {
      mode: 'custom',
      certificatePem: shop.certPem,
      privateKeyPem: shop.keyPem,
      redirectHttp: true,
      hstsMaxAgeSeconds: 0,
      ...overrides,
    });

  beforeAll(async () => {
    [app, shop, other] = await Promise.all([
      startViewApp(),
      createSelfSignedCertificate({ commonName: 'shop.test', dnsNames: ['shop.test'] }),
      createSelfSignedCertificate({ commonName: 'other.test', dnsNames: ['other.test'] }),
    ]);
    proxy = await startTlsProxy();
  });

  afterAll(async () => {
    await proxy?.close();
    await app?.close();
  });

  it('stores the pair 0600 under certs/<host>, never in the state file or the service list', async () => {
    await proxy.client.switchService('shop', shopRoute());
    const hostDir = join(proxy.dir, 'state', 'certs', 'shop.test');
    expect(await readFile(join(hostDir, 'cert.pem'), 'utf8')).toBe(shop.certPem);
    expect(await readFile(join(hostDir, 'key.pem'), 'utf8')).toBe(shop.keyPem);
    for (const file of ['cert.pem', 'key.pem', 'origin.json']) {
      expect((await stat(join(hostDir, file))).mode & 0o777).toBe(0o600);
    }
    const state = await readFile(proxy.statePath, 'utf8');
    expect(state).not.toContain('PRIVATE KEY');
    expect(state).not.toContain('BEGIN CERTIFICATE');
    const [listed] = await proxy.client.listServices();
    expect(listed?.tls).toEqual({ mode: 'custom', redirectHttp: true, hstsMaxAgeSeconds: 0 });
    expect(await proxy.certificates()).toEqual([
      {
        host: 'shop.test',
        mode: 'custom',
        certificate: expect.objectContaining({ source: 'custom' }),
      },
    ]);
  });

  it('serves it again right after a restart', async () => {
    await proxy.stop();
    proxy = await startTlsProxy({ dir: proxy.dir });
    const served = await servedCertificate(proxy.httpsPort, 'shop.test');
    expect(served.subject.CN).toBe('shop.test');
    expect((await send(proxy.httpUrl, '/', { host: 'shop.test' })).status).toBe(301);
  });

  it.each([
    ['a key from another certificate', () => ({ privateKeyPem: other.keyPem }), /privateKeyPem/],
    [
      'a certificate for another host',
      () => ({ certificatePem: other.certPem, privateKeyPem: other.keyPem }),
      /does not cover host shop\.test/,
    ],
    [
      'no certificate',
      () => ({ certificatePem: undefined }),
      /needs certificatePem and privateKeyPem/,
    ],
    ['garbage', () => ({ certificatePem: 'hello' }), /expected a PEM certificate chain/],
  ])('rejects %s with USAGE and keeps the old certificate', async (_name, override, message) => {
    await expect(proxy.client.switchService('shop', shopRoute(override()))).rejects.toMatchObject({
      code: 'USAGE',
      message,
    });
    expect((await servedCertificate(proxy.httpsPort, 'shop.test')).subject.CN).toBe('shop.test');
  });

  it.each([
    ['ACME for a wildcard host', ['*.shop.test'], 'acme', /cannot issue for \*\.shop\.test/],
    ['TLS without a host', [], 'acme', /needs at least one host/],
  ] as const)('rejects %s', async (_name, hosts, mode, message) => {
    const request = tlsRoute(app.target, [...hosts], {
      mode,
      redirectHttp: true,
      hstsMaxAgeSeconds: 0,
    });
    await expect(proxy.client.switchService('acme', request)).rejects.toMatchObject({
      code: 'USAGE',
      message,
    });
  });
});

describe('an ACME host without a certificate yet', () => {
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let refusingCa: Server;
  let proxy: TlsTestProxy;

  beforeAll(async () => {
    app = await startViewApp();
    refusingCa = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end('{"type":"urn:ietf:params:acme:error:malformed","detail":"no directory here"}');
    });
    await new Promise<void>((resolve) => refusingCa.listen(0, '127.0.0.1', resolve));
    const caPort = (refusingCa.address() as AddressInfo).port;
    proxy = await startTlsProxy({ acme: { directoryUrl: `http://127.0.0.1:${caPort}/dir` } });
    await proxy.client.switchService(
      'web',
      tlsRoute(app.target, ['app.test'], {
        mode: 'acme',
        redirectHttp: true,
        hstsMaxAgeSeconds: 0,
      }),
    );
  });

  afterAll(async () => {
    await proxy?.close();
    await app?.close();
    refusingCa?.close();
  });

  it('is served over HTTP without a redirect, fails TLS handshakes, and reports why', async () => {
    await until(async () => (await proxy.certificates())[0]?.lastError !== undefined);
    const [status] = await proxy.certificates();
    expect(status).toMatchObject({ host: 'app.test', mode: 'acme', certificate: null });
    expect((await send(proxy.httpUrl, '/', { host: 'app.test' })).status).toBe(200);
    await expect(servedCertificate(proxy.httpsPort, 'app.test')).rejects.toThrow();
  });
});
