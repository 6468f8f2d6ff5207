import { CompactSign, compactVerify, importJWK } from 'jose';
import { BerthError } from '../errors.ts';
import { findTrustedKey, SIGNING_CURVE, type PublicKey, type SigningKey } from '../keys/jwk.ts';
import { headerValueText, readProtectedHeader } from '../keys/protected-header.ts';

export const SIGNATURE_ALG = 'EdDSA';

/** Signs a JSON payload as a compact JWS (EdDSA) with the given `typ`. */
export async function signJsonPayload(
  payload: unknown,
  key: SigningKey,
  typ: string,
): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const privateKey = await importJWK(key.privateJwk, SIGNATURE_ALG);
  return new CompactSign(bytes)
    .setProtectedHeader({ alg: SIGNATURE_ALG, kid: key.kid, typ })
    .sign(privateKey);
}

/**
 * Verifies a compact JWS against trusted keys and returns its JSON payload, unchecked. Checks,
 * in order: the header's alg is EdDSA, typ is the expected one (so one kind of signed statement
 * can never pass for another), kid is trusted, the signature holds, the payload is JSON.
 * `what` names the statement in messages ("release", "service control").
 */
export async function verifyJsonPayload(
  jws: string,
  trustedKeys: readonly PublicKey[],
  expected: { typ: string; what: string; invalidCode: 'MANIFEST_INVALID' | 'CONTROL_INVALID' },
): Promise<unknown> {
  const { typ, what } = expected;
  const header = typeof jws === 'string' ? readProtectedHeader(jws) : null;
  if (header === null) throw new BerthError('SIGNATURE_INVALID', `${what} is not a compact JWS`);
  if (header.alg !== SIGNATURE_ALG) {
    throw new BerthError(
      'SIGNATURE_ALG_REJECTED',
      `${what} is signed with alg ${headerValueText(header.alg)}; only EdDSA is accepted`,
    );
  }
  if (header.typ !== typ) {
    throw new BerthError(
      'SIGNATURE_INVALID',
      `JWS typ ${headerValueText(header.typ)} is not ${typ}`,
    );
  }
  const key = findTrustedKey(trustedKeys, header.kid, SIGNING_CURVE);
  if (!key) {
    throw new BerthError(
      'SIGNING_KEY_UNKNOWN',
      `${what} is signed by key ${headerValueText(header.kid)}, which is not a trusted release key`,
    );
  }
  let payload: Uint8Array;
  try {
    const publicKey = await importJWK(key.jwk, SIGNATURE_ALG);
    ({ payload } = await compactVerify(jws, publicKey, { algorithms: [SIGNATURE_ALG] }));
  } catch {
    throw new BerthError(
      'SIGNATURE_INVALID',
      `${what} signature does not verify with trusted key ${key.kid} (tampered payload or wrong key)`,
    );
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new BerthError(expected.invalidCode, `${what} payload is not JSON`);
  }
}
