import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSelfSignedCertificate } from '../../../../shared/tls/self-signed-certificate.ts';
import { freePort } from './tls-harness.ts';

const pebblePath = '/usr/bin/pebble';
const challtestsrvPath = '/usr/bin/pebble-challtestsrv';

export interface RunningPebble {
  directoryUrl: string;
  /** PEM file of the certificate pebble's own API serves (trust it to talk ACME). */
  apiCaFilePath: string;
  /** Pebble's issuing root for this run (it makes a fresh one at every start). */
  rootPem(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Debian's pebble ACME test CA plus pebble-challtestsrv as its DNS, answering 127.0.0.1 for
 * every name. Pebble validates HTTP-01 on `httpPort`, so that is where the proxy must listen.
 * No sleeps before validation, no injected badNonce errors.
 */
export async function startPebble(httpPort: number): Promise<RunningPebble> {
  await access(pebblePath).catch(() => {
    throw new Error(`${pebblePath} is missing: run scripts/install-system-deps.sh (apt pebble)`);
  });
  const dir = await mkdtemp(join(tmpdir(), 'berth-pebble-'));
  const apiCertificate = await createSelfSignedCertificate({
    commonName: 'pebble',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const apiCaFilePath = join(dir, 'cert.pem');
  await writeFile(apiCaFilePath, apiCertificate.certPem);
  await writeFile(join(dir, 'key.pem'), apiCertificate.keyPem);
  const [acmePort, managementPort, dnsPort, challengeManagementPort, tlsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  await writeFile(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: apiCaFilePath,
        privateKey: join(dir, 'key.pem'),
        httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    children.push(
      spawn(
        challtestsrvPath,
        [
          ...['-http01', '', '-https01', '', '-tlsalpn01', ''],
          ...['-dns01', `127.0.0.1:${dnsPort}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''],
          ...['-management', `127.0.0.1:${challengeManagementPort}`],
        ],
        { stdio: 'ignore' },
      ),
    );
    children.push(
      spawn(
        pebblePath,
        ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`],
        {
          env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
          stdio: process.env.PEBBLE_TEST_LOG === '1' ? 'inherit' : 'ignore',
        },
      ),
    );
    const directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
    await waitFor(() => fetchText(directoryUrl, apiCertificate.certPem));
    return {
      directoryUrl,
      apiCaFilePath,
      rootPem: () =>
        fetchText(`https://127.0.0.1:${managementPort}/roots/0`, apiCertificate.certPem),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function fetchText(url: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(url, { ca, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode === 200) resolve(text);
        else reject(new Error(`${url}: ${response.statusCode} ${text}`));
      });
    });
    request.on('error', reject);
    request.end();
  });
}

async function waitFor(attempt: () => Promise<unknown>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await attempt();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
