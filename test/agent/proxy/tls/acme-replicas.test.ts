import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyClient } from '../../../../agent/proxy/proxy-client.ts';
import { until } from '../proxy-harness.ts';
import { spawnProxyProcess } from '../proxy-process-harness.ts';
import { startPebble, type RunningPebble } from './pebble.ts';
import { freePort, servedCertificate, startViewApp, tlsRoute } from './tls-harness.ts';

/**
 * ACME with a primary and a replica on the same sockets: pebble's HTTP-01 request may reach
 * either process (the token is mirrored before validation), and once the primary stores the
 * certificate every process serves it.
 */
describe('ACME with --workers 2', () => {
  let dir: string;
  let pebble: RunningPebble;
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let proxy: ChildProcess;
  let client: ProxyClient;
  let httpsPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-acme-replicas-'));
    const [httpPort, httpsFreePort] = [await freePort(), await freePort()];
    [pebble, app] = await Promise.all([startPebble(httpPort), startViewApp()]);
    const started = await spawnProxyProcess(
      dir,
      [
        ...['--workers', '2', '--https-port', String(httpsFreePort)],
        ...['--acme-directory', pebble.directoryUrl, '--acme-ca-file', pebble.apiCaFilePath],
      ],
      { httpPort },
    );
    proxy = started.child;
    httpsPort = started.httpsPort ?? 0;
    client = new ProxyClient(started.socketPath);
  });

  afterAll(async () => {
    if (proxy?.exitCode === null) {
      const exited = new Promise((resolve) => proxy.once('exit', resolve));
      proxy.kill('SIGTERM');
      await exited;
    }
    await client?.close();
    await Promise.all([pebble?.stop(), app?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('obtains the certificate, and every process serves it on fresh connections', async () => {
    await client.switchService(
      'web',
      tlsRoute(app.target, ['app.test'], {
        mode: 'acme',
        redirectHttp: true,
        hstsMaxAgeSeconds: 0,
      }),
    );
    await until(async () => {
      const status = (await client.certificates()).find((entry) => entry.host === 'app.test');
      return status?.certificate !== null && status?.certificate !== undefined;
    }, 30_000);
    // Many handshakes at once, so the kernel hands some to each process.
    const served = await Promise.all(
      Array.from({ length: 60 }, () => servedCertificate(httpsPort, 'app.test')),
    );
    expect(new Set(served.map((certificate) => certificate.subjectaltname))).toEqual(
      new Set(['DNS:app.test']),
    );
  });
});
