import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { createSecureContext } from 'node:tls';

const pemCertificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A label no certificate names explicitly: a wildcard route must be covered by a wildcard. */
const wildcardProbeLabel = 'berth-wildcard-probe';

/** The PEM certificates in `chainPem`, leaf first. */
export function splitPemChain(chainPem: string): string[] {
  return chainPem.match(pemCertificate) ?? [];
}

/**
 * Why a custom certificate cannot be served for `hosts`, or undefined when it can: the chain
 * and key must parse, belong together, be unexpired and cover every host (`*.example.com`
 * needs a certificate for `*.example.com`).
 */
export function customCertificateProblem(
  certificatePem: string,
  privateKeyPem: string,
  hosts: readonly string[],
  nowMs = Date.now(),
): string | undefined {
  const [leafPem] = splitPemChain(certificatePem);
  if (leafPem === undefined) return 'certificatePem: expected a PEM certificate chain';
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafPem);
  } catch {
    return 'certificatePem: the first certificate is not readable X.509';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    return 'privateKeyPem: not a readable PEM private key';
  }
  if (!leaf.checkPrivateKey(key)) return 'privateKeyPem: does not match the certificate';
  try {
    createSecureContext({ cert: certificatePem, key: privateKeyPem });
  } catch (error) {
    return `certificatePem: not usable for TLS (${error instanceof Error ? error.message : String(error)})`;
  }
  if (Date.parse(leaf.validTo) <= nowMs) {
    return `certificatePem: expired on ${new Date(leaf.validTo).toISOString()}`;
  }
  for (const host of hosts) {
    const probe = host.startsWith('*.') ? `${wildcardProbeLabel}${host.slice(1)}` : host;
    if (leaf.checkHost(probe) === undefined) {
      return `certificatePem: does not cover host ${host}`;
    }
  }
  return undefined;
}
