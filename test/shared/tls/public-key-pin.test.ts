import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  publicKeyPinOfPem,
} from '../../../shared/tls/self-signed-certificate.ts';

describe('publicKeyPinOfPem', () => {
  it("matches what openssl derives for curl's --pinnedpubkey", async () => {
    const { certPem } = await createSelfSignedCertificate({ commonName: 'pin-test' });
    const publicKeyPem = execFileSync('openssl', ['x509', '-pubkey', '-noout'], { input: certPem });
    const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], {
      input: publicKeyPem,
    });
    expect(publicKeyPinOfPem(certPem)).toBe(
      `sha256//${createHash('sha256').update(der).digest('base64')}`,
    );
  });
});
