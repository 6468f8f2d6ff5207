import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { splitPemChain } from './custom-certificate.ts';

/** Where a stored certificate came from; an ACME one remembers its CA's directory. */
export type CertificateOrigin = { source: 'acme'; directoryUrl: string } | { source: 'custom' };

/** A certificate and key ready to serve for one host. */
export interface StoredCertificate {
  /** The route host it is stored under: `app.example.com` or `*.example.com`. */
  readonly host: string;
  readonly certificatePem: string;
  readonly privateKeyPem: string;
  readonly origin: CertificateOrigin;
  readonly serialNumber: string;
  readonly issuer: string;
  readonly notAfterMs: number;
  readonly context: SecureContext;
}

/** Parses a PEM pair; throws when it is unreadable or the key does not match the leaf. */
export function storedCertificate(
  host: string,
  certificatePem: string,
  privateKeyPem: string,
  origin: CertificateOrigin,
): StoredCertificate {
  const [leafPem] = splitPemChain(certificatePem);
  if (leafPem === undefined) throw new Error('no PEM certificate');
  const leaf = new X509Certificate(leafPem);
  if (!leaf.checkPrivateKey(createPrivateKey(privateKeyPem))) {
    throw new Error('the private key does not match the certificate');
  }
  return {
    host,
    certificatePem,
    privateKeyPem,
    origin,
    serialNumber: leaf.serialNumber,
    issuer: leaf.issuer.replace(/\n/g, ', '),
    notAfterMs: Date.parse(leaf.validTo),
    context: createSecureContext({ cert: certificatePem, key: privateKeyPem }),
  };
}
