import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type RunningPebble } from './pebble.ts';
import {
  freePort,
  httpsGet,
  servedCertificate,
  startTlsProxy,
  startViewApp,
  tlsRoute,
  verifiesAgainst,
  type AppView,
  type TlsTestProxy,
} from './tls-harness.ts';
import { send, until } from '../proxy-harness.ts';

/**
 * Real ACME against Debian's pebble: issuance over HTTP-01, SNI, persistence and renewal.
 * The tests run in order and share one pebble, one app and one proxy directory.
 */
describe('ACME certificates from pebble', () => {
  let pebble: RunningPebble;
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let httpPort: number;
  let proxy: TlsTestProxy;
  let pebbleRoot: string;
  let firstSerial: string;

  const acmeOptions = (renewBeforeDays?: number) => ({
    directoryUrl: pebble.directoryUrl,
    caFilePath: pebble.apiCaFilePath,
    email: 'ops@app.test',
    pollMinMs: 100,
    renewBeforeDays,
  });

  const restart = async (renewBeforeDays?: number): Promise<void> => {
    await proxy.stop();
    proxy = await startTlsProxy({
      dir: proxy.dir,
      httpPort,
      acme: acmeOptions(renewBeforeDays),
    });
  };

  const certificateOf = async (host: string) =>
    (await proxy.certificates()).find((status) => status.host === host)?.certificate ?? null;

  beforeAll(async () => {
    // Pebble validates HTTP-01 on a port fixed in its config: the proxy's HTTP port.
    httpPort = await freePort();
    [pebble, app] = await Promise.all([startPebble(httpPort), startViewApp()]);
    pebbleRoot = await pebble.rootPem();
    proxy = await startTlsProxy({ httpPort, acme: acmeOptions() });
  });

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([pebble?.stop(), app?.close()]);
  });

  it('obtains a certificate for the route host and serves it by SNI, chained to pebble', async () => {
    await proxy.client.switchService(
      'web',
      tlsRoute(app.target, ['app.test'], {
        mode: 'acme',
        redirectHttp: true,
        hstsMaxAgeSeconds: 600,
      }),
    );
    await until(async () => (await certificateOf('app.test')) !== null, 30_000);

    const served = await servedCertificate(proxy.httpsPort, 'app.test');
    expect(served.subjectaltname).toBe('DNS:app.test');
    expect(served.issuer.CN).toMatch(/^Pebble Intermediate CA/);
    expect(await verifiesAgainst(proxy.httpsPort, 'app.test', pebbleRoot)).toBe(true);
    firstSerial = served.serialNumber;
    expect((await certificateOf('app.test'))?.serialNumber).toBe(firstSerial);

    const reply = await httpsGet(proxy.httpsPort, 'app.test', '/hello', { ca: pebbleRoot });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.text) as AppView).headers['x-forwarded-proto']).toBe('https');
    expect(reply.headers['strict-transport-security']).toBe('max-age=600');
  });

  it('redirects plain HTTP to HTTPS once the certificate exists, keeping path and query', async () => {
    const reply = await send(proxy.httpUrl, '/a/b?c=1&d', { host: 'app.test' });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://app.test:${proxy.httpsPort}/a/b?c=1&d`);
  });

  it('serves the stored certificate at once after a restart, without issuing again', async () => {
    await restart();
    expect((await servedCertificate(proxy.httpsPort, 'app.test')).serialNumber).toBe(firstSerial);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await certificateOf('app.test'))?.serialNumber).toBe(firstSerial);
    expect((await send(proxy.httpUrl, '/', { host: 'app.test' })).status).toBe(301);
  });

  it('renews a certificate near expiry, answering the challenge although HTTP redirects', async () => {
    // Pebble certificates last 5 years: renewing 10 years ahead makes this one due now.
    await restart(3650);
    await until(async () => {
      const served = await servedCertificate(proxy.httpsPort, 'app.test');
      return served.serialNumber !== firstSerial;
    }, 30_000);
    expect(await verifiesAgainst(proxy.httpsPort, 'app.test', pebbleRoot)).toBe(true);
    expect((await certificateOf('app.test'))?.source).toBe('acme');
  });
});
