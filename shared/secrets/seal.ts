import { CompactEncrypt, compactDecrypt, importJWK } from 'jose';
import { z } from 'zod';
import { BerthError } from '../errors.ts';
import {
  assertCurve,
  ENCRYPTION_CURVE,
  keyIdOf,
  type KeyPair,
  type PrivateJwk,
  type PublicJwk,
  type PublicKey,
} from '../keys/jwk.ts';
import { headerValueText, readProtectedHeader } from '../keys/protected-header.ts';

export const SEAL_KEY_ALG = 'ECDH-ES';
export const SEAL_CONTENT_ENC = 'A256GCM';

const sealedValuesSchema = z.record(z.string(), z.string());

/** Seals secret env values to one host's X25519 key, as a compact JWE only that host can open. */
export async function sealSecrets(
  values: Readonly<Record<string, string>>,
  hostKey: PublicJwk | PublicKey,
): Promise<string> {
  const jwk = 'jwk' in hostKey ? hostKey.jwk : hostKey;
  assertCurve(jwk, ENCRYPTION_CURVE, "the host's encryption key");
  const publicKey = await importJWK(jwk, SEAL_KEY_ALG);
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(values)))
    .setProtectedHeader({ alg: SEAL_KEY_ALG, enc: SEAL_CONTENT_ENC, kid: keyIdOf(jwk) })
    .encrypt(publicKey);
}

/** Opens secrets sealed to this host. SECRET_UNSEALABLE never names a value. */
export async function openSecrets(
  jwe: string,
  hostKey: PrivateJwk | KeyPair,
): Promise<Record<string, string>> {
  const hostPrivateJwk = 'privateJwk' in hostKey ? hostKey.privateJwk : hostKey;
  assertCurve(hostPrivateJwk, ENCRYPTION_CURVE, "the host's encryption key");
  const ownKid = keyIdOf(hostPrivateJwk);
  const sealedTo = readProtectedHeader(jwe, 5)?.kid;
  if (sealedTo !== undefined && sealedTo !== ownKid) {
    throw new BerthError(
      'SECRET_UNSEALABLE',
      `secrets are sealed to key ${headerValueText(sealedTo)}, but this host's encryption key is ${ownKid}`,
    );
  }
  let plaintext: Uint8Array;
  try {
    const privateKey = await importJWK(hostPrivateJwk, SEAL_KEY_ALG);
    ({ plaintext } = await compactDecrypt(jwe, privateKey, {
      keyManagementAlgorithms: [SEAL_KEY_ALG],
      contentEncryptionAlgorithms: [SEAL_CONTENT_ENC],
    }));
  } catch {
    throw new BerthError(
      'SECRET_UNSEALABLE',
      "sealed secrets could not be opened with this host's encryption key (sealed to another key, or damaged)",
    );
  }
  let values: unknown;
  try {
    values = JSON.parse(new TextDecoder().decode(plaintext));
  } catch {
    values = undefined;
  }
  const parsed = sealedValuesSchema.safeParse(values);
  if (!parsed.success)
    throw new BerthError('SECRET_UNSEALABLE', 'sealed secrets are not a map of names to strings');
  return parsed.data;
}
