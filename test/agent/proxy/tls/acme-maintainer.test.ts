import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CertificateIssuer } from '../../../../agent/proxy/tls/acme-issuer.ts';
import { AcmeMaintainer } from '../../../../agent/proxy/tls/acme-maintainer.ts';
import { CertificateStore } from '../../../../agent/proxy/tls/certificate-store.ts';
import { createLogger } from '../../../../shared/logger.ts';
import { createSelfSignedCertificate } from '../../../../shared/tls/self-signed-certificate.ts';
import { until } from '../proxy-harness.ts';

const dayMs = 24 * 60 * 60 * 1000;

/** Issues 90-day self-signed certificates, or fails while `failuresLeft` > 0. */
class FakeIssuer implements CertificateIssuer {
  readonly directoryUrl = 'https://ca.test/dir';
  readonly issued: string[] = [];
  failuresLeft = 0;

  async issue(host: string): Promise<{ certificatePem: string; privateKeyPem: string }> {
    if (this.failuresLeft > 0) {
      this.failuresLeft -= 1;
      throw new Error('urn:ietf:params:acme:error:connection: no route to host');
    }
    this.issued.push(host);
    const certificate = await createSelfSignedCertificate({
      commonName: host,
      dnsNames: [host],
      validDays: 90,
    });
    return { certificatePem: certificate.certPem, privateKeyPem: certificate.keyPem };
  }
}

describe('AcmeMaintainer', () => {
  let dir: string;
  let store: CertificateStore;
  let issuer: FakeIssuer;
  let clockOffsetMs: number;
  let maintainer: AcmeMaintainer;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-acme-maintainer-'));
    const logger = createLogger({ name: 'acme-test', level: 'silent' });
    store = new CertificateStore(dir, logger);
    issuer = new FakeIssuer();
    clockOffsetMs = 0;
    maintainer = new AcmeMaintainer({
      store,
      issuer,
      logger,
      renewBeforeDays: 30,
      checkIntervalMs: 50,
      now: () => Date.now() + clockOffsetMs,
    });
  });

  afterEach(async () => {
    await maintainer.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('waits for start, then issues once per new host', async () => {
    maintainer.setHosts(['a.test', 'b.test']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(issuer.issued).toEqual([]);
    maintainer.start();
    await until(() => issuer.issued.length === 2);
    maintainer.setHosts(['a.test', 'b.test', 'c.test']);
    await until(() => store.get('c.test') !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(issuer.issued).toEqual(['a.test', 'b.test', 'c.test']);
    expect(store.get('a.test')?.origin).toEqual({
      source: 'acme',
      directoryUrl: issuer.directoryUrl,
    });
  });

  it('renews only once the clock is within 30 days of expiry', async () => {
    maintainer.setHosts(['a.test']);
    maintainer.start();
    await until(() => store.get('a.test') !== undefined);
    const first = store.get('a.test')?.serialNumber;
    clockOffsetMs = 50 * dayMs;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(store.get('a.test')?.serialNumber).toBe(first);
    clockOffsetMs = 61 * dayMs;
    await until(() => store.get('a.test')?.serialNumber !== first);
    // The fresh certificate is due too at this clock: stop moving time before more checks run.
    clockOffsetMs = 0;
    expect(issuer.issued.length).toBeGreaterThanOrEqual(2);
  });

  it('replaces a custom certificate when the host switches to ACME', async () => {
    const custom = await createSelfSignedCertificate({ commonName: 'a', dnsNames: ['a.test'] });
    await store.put('a.test', custom.certPem, custom.keyPem, { source: 'custom' });
    maintainer.setHosts(['a.test']);
    maintainer.start();
    await until(() => store.get('a.test')?.origin.source === 'acme');
  });

  it('reports a failure, retries, and clears the error once it succeeds', async () => {
    issuer.failuresLeft = 2;
    maintainer.setHosts(['a.test']);
    maintainer.start();
    await until(() => maintainer.lastError('a.test') !== undefined);
    expect(maintainer.lastError('a.test')).toMatch(/no route to host/);
    await until(() => store.get('a.test') !== undefined);
    expect(maintainer.lastError('a.test')).toBeUndefined();
  });
});
