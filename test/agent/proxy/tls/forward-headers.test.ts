import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../shared/tls/self-signed-certificate.ts';
import { route, send } from '../proxy-harness.ts';
import {
  customTls,
  httpsGet,
  startTlsProxy,
  startViewApp,
  tlsRoute,
  type AppView,
  type TlsTestProxy,
} from './tls-harness.ts';

const forged = {
  'x-forwarded-for': '203.0.113.9',
  'x-forwarded-proto': 'http',
  'x-forwarded-host': 'forged.test',
};

function forwardedSeen(text: string): Record<string, string | undefined> {
  const { headers } = JSON.parse(text) as AppView;
  return {
    for: headers['x-forwarded-for'] as string | undefined,
    proto: headers['x-forwarded-proto'] as string | undefined,
    host: headers['x-forwarded-host'] as string | undefined,
  };
}

/** Which client X-Forwarded-* a route believes: `forwardHeaders`, or kamal-proxy's default. */
describe('forwardHeaders', () => {
  let proxy: TlsTestProxy;
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let cdn: SelfSignedCertificate;
  let edge: SelfSignedCertificate;

  beforeAll(async () => {
    [app, cdn, edge] = await Promise.all([
      startViewApp(),
      createSelfSignedCertificate({ commonName: 'cdn.test', dnsNames: ['cdn.test'] }),
      createSelfSignedCertificate({ commonName: 'edge.test', dnsNames: ['edge.test'] }),
    ]);
    proxy = await startTlsProxy();
    await proxy.client.switchService('cdn', {
      ...tlsRoute(app.target, ['cdn.test'], customTls(cdn)),
      forwardHeaders: true,
    });
    await proxy.client.switchService('edge', tlsRoute(app.target, ['edge.test'], customTls(edge)));
    await proxy.client.switchService('plain', route(app.target, { hosts: ['plain.test'] }));
    await proxy.client.switchService('lb', {
      ...route(app.target, { hosts: ['lb.test'] }),
      forwardHeaders: false,
    });
  });

  afterAll(async () => {
    await proxy?.close();
    await app?.close();
  });

  it('keeps the values of a client the route trusts, over TLS too, appending its address', async () => {
    const reply = await httpsGet(proxy.httpsPort, 'cdn.test', '/', {
      ca: cdn.certPem,
      headers: forged,
    });
    expect(forwardedSeen(reply.text)).toEqual({
      for: '203.0.113.9, 127.0.0.1',
      proto: 'http',
      host: 'forged.test',
    });
  });

  it('by default replaces them on a route with HTTPS, over TLS and over plain HTTP alike', async () => {
    const overTls = await httpsGet(proxy.httpsPort, 'edge.test', '/', {
      ca: edge.certPem,
      headers: forged,
    });
    expect(forwardedSeen(overTls.text)).toEqual({
      for: '127.0.0.1',
      proto: 'https',
      host: 'edge.test',
    });
    const overHttp = await send(proxy.httpUrl, '/', { host: 'edge.test', headers: forged });
    expect(forwardedSeen(overHttp.text)).toEqual({
      for: '127.0.0.1',
      proto: 'http',
      host: 'edge.test',
    });
  });

  it('by default keeps them on a plain-HTTP route, and replaces them when told not to', async () => {
    const trusted = await send(proxy.httpUrl, '/', { host: 'plain.test', headers: forged });
    expect(forwardedSeen(trusted.text)).toEqual({
      for: '203.0.113.9, 127.0.0.1',
      proto: 'http',
      host: 'forged.test',
    });
    const distrusted = await send(proxy.httpUrl, '/', { host: 'lb.test', headers: forged });
    expect(forwardedSeen(distrusted.text)).toEqual({
      for: '127.0.0.1',
      proto: 'http',
      host: 'lb.test',
    });
  });
});
