import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp1Server, Http1Front } from '../../../../agent/proxy/front/http1-front.ts';
import { AcmeChallenges } from '../../../../agent/proxy/tls/acme-challenges.ts';
import { CertificateStore } from '../../../../agent/proxy/tls/certificate-store.ts';
import { httpFrontHandler } from '../../../../agent/proxy/tls/http-front.ts';
import { TlsManager } from '../../../../agent/proxy/tls/tls-manager.ts';
import { createLogger } from '../../../../shared/logger.ts';
import { createSelfSignedCertificate } from '../../../../shared/tls/self-signed-certificate.ts';
import { send } from '../proxy-harness.ts';
import { tlsRoute } from './tls-harness.ts';

/** The plain-HTTP listener's order: ACME challenge, then redirect, then the app. */
describe('HTTP front', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let tls: TlsManager;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-http-front-'));
    const logger = createLogger({ name: 'http-front-test', level: 'silent' });
    const store = new CertificateStore(dir, logger);
    const certificate = await createSelfSignedCertificate({
      commonName: 'shop.test',
      dnsNames: ['shop.test'],
    });
    await store.put('shop.test', certificate.certPem, certificate.keyPem, { source: 'custom' });
    tls = new TlsManager(store, undefined, logger);
    tls.routesChanged([
      {
        service: 'shop',
        ...tlsRoute('127.0.0.1:1', ['shop.test', 'new.test'], {
          mode: 'custom',
          redirectHttp: true,
          hstsMaxAgeSeconds: 0,
        }),
      },
    ]);
    const challenges = new AcmeChallenges();
    await challenges.set('token-1', 'token-1.thumbprint');
    const front = new Http1Front({
      onRequest: httpFrontHandler((_req, res) => res.end('app'), challenges, tls),
      onUpgrade: (_req, socket) => socket.destroy(),
      onHandlerError: (error) => {
        throw error;
      },
    });
    server = createHttp1Server(front);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes everything to the app until the HTTPS listener is up', async () => {
    expect((await send(url, '/', { host: 'shop.test' })).text).toBe('app');
  });

  it('answers a held ACME token even on a host that redirects', async () => {
    tls.enableHttps(443);
    const reply = await send(url, '/.well-known/acme-challenge/token-1', { host: 'shop.test' });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('token-1.thumbprint');
  });

  it('redirects unknown tokens and other paths, leaving out port 443', async () => {
    const unknown = await send(url, '/.well-known/acme-challenge/other', { host: 'shop.test' });
    expect(unknown.status).toBe(301);
    expect(unknown.headers.location).toBe('https://shop.test/.well-known/acme-challenge/other');
    const page = await send(url, '/p?q=1', { host: 'SHOP.test.:80' });
    expect(page.headers.location).toBe('https://shop.test/p?q=1');
  });

  it('does not redirect a host that has no certificate yet', async () => {
    expect((await send(url, '/', { host: 'new.test' })).text).toBe('app');
  });
});
