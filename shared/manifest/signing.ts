import { CompactSign, compactVerify, importJWK } from 'jose';
import { BerthError } from '../errors.ts';
import { findTrustedKey, SIGNING_CURVE, type PublicKey, type SigningKey } from '../keys/jwk.ts';
import { headerValueText, readProtectedHeader } from '../keys/protected-header.ts';
import { assertImagePinned } from './image-pin.ts';
import { parseManifest } from './parse-manifest.ts';
import type { ReleaseManifest, ReleaseManifestInput } from './schema.ts';

export const RELEASE_SIGNATURE_ALG = 'EdDSA';
/** JWS `typ` of a release, so an operator token can never pass for one. */
export const RELEASE_JWS_TYPE = 'berth-release+jws';

/** Validates the manifest and signs it as a compact JWS with the release key. */
export async function signRelease(
  manifest: ReleaseManifest | ReleaseManifestInput,
  key: SigningKey,
): Promise<string> {
  const payload = new TextEncoder().encode(JSON.stringify(parseManifest(manifest)));
  const privateKey = await importJWK(key.privateJwk, RELEASE_SIGNATURE_ALG);
  return new CompactSign(payload)
    .setProtectedHeader({ alg: RELEASE_SIGNATURE_ALG, kid: key.kid, typ: RELEASE_JWS_TYPE })
    .sign(privateKey);
}

function parsePayload(payload: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new BerthError('MANIFEST_INVALID', 'release payload is not JSON');
  }
}

/**
 * Verifies a release JWS against the trusted release keys and returns its manifest. Checks, in
 * order: the header's alg is EdDSA, typ is a release, kid is trusted, the signature holds, the
 * image is pinned, and the payload matches the manifest schema.
 */
export async function verifyReleaseSignature(
  jws: string,
  trustedKeys: readonly PublicKey[],
): Promise<ReleaseManifest> {
  const header = typeof jws === 'string' ? readProtectedHeader(jws) : null;
  if (header === null) throw new BerthError('SIGNATURE_INVALID', 'release is not a compact JWS');
  if (header.alg !== RELEASE_SIGNATURE_ALG) {
    throw new BerthError(
      'SIGNATURE_ALG_REJECTED',
      `release is signed with alg ${headerValueText(header.alg)}; only EdDSA is accepted`,
    );
  }
  if (header.typ !== RELEASE_JWS_TYPE) {
    throw new BerthError(
      'SIGNATURE_INVALID',
      `JWS typ ${headerValueText(header.typ)} is not ${RELEASE_JWS_TYPE}`,
    );
  }
  const key = findTrustedKey(trustedKeys, header.kid, SIGNING_CURVE);
  if (!key) {
    throw new BerthError(
      'SIGNING_KEY_UNKNOWN',
      `release is signed by key ${headerValueText(header.kid)}, which is not a trusted release key`,
    );
  }
  let payload: Uint8Array;
  try {
    const publicKey = await importJWK(key.jwk, RELEASE_SIGNATURE_ALG);
    ({ payload } = await compactVerify(jws, publicKey, { algorithms: [RELEASE_SIGNATURE_ALG] }));
  } catch {
    throw new BerthError(
      'SIGNATURE_INVALID',
      `release signature does not verify with trusted key ${key.kid} (tampered payload or wrong key)`,
    );
  }
  const manifest = parsePayload(payload);
  if (typeof manifest === 'object' && manifest !== null && 'image' in manifest) {
    assertImagePinned(manifest.image);
  }
  return parseManifest(manifest);
}
