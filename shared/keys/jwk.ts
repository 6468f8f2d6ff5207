import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { BerthError } from '../errors.ts';

/** Ed25519 signs (releases, operator tokens, agent identity); X25519 seals secrets to a host. */
export type OkpCurve = 'Ed25519' | 'X25519';
export const SIGNING_CURVE: OkpCurve = 'Ed25519';
export const ENCRYPTION_CURVE: OkpCurve = 'X25519';

// 32 key bytes are 43 base64url characters without padding.
const keyBytes = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** An OKP public JWK (RFC 8037). Other members a file may carry (kid, use, alg) are dropped. */
export const publicJwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.enum(['Ed25519', 'X25519']),
  x: keyBytes,
});
export const privateJwkSchema = publicJwkSchema.extend({ d: keyBytes });

export type PublicJwk = z.output<typeof publicJwkSchema>;
export type PrivateJwk = z.output<typeof privateJwkSchema>;

/** A public key and its RFC 7638 thumbprint, which is its `kid` everywhere. */
export interface PublicKey {
  readonly kid: string;
  readonly jwk: PublicJwk;
}

export interface KeyPair {
  readonly kid: string;
  readonly privateJwk: PrivateJwk;
  readonly publicJwk: PublicJwk;
}

/** What signing needs: the private half and the kid verifiers look it up by. */
export type SigningKey = Pick<KeyPair, 'kid' | 'privateJwk'>;

export function publicHalf(jwk: PublicJwk): PublicJwk {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
}

/**
 * The RFC 7638 thumbprint (SHA-256 over the required members in lexicographic order), the
 * same value as jose's `calculateJwkThumbprint`, computed synchronously so key text can be
 * parsed inside schemas and `Array.map`.
 */
export function keyIdOf(jwk: PublicJwk): string {
  const members = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(members).digest('base64url');
}

export function assertCurve(jwk: PublicJwk, curve: OkpCurve, what: string): void {
  if (jwk.crv !== curve) {
    throw new BerthError('KEY_INVALID', `${what} must be an ${curve} key, not ${jwk.crv}`);
  }
}

/** Checks that the public half belongs to the private half (a hand-edited file may not). */
export function keyPairOf(privateJwk: PrivateJwk, what: string): KeyPair {
  let derivedX: unknown;
  try {
    const privateKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
    derivedX = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  } catch {
    throw new BerthError('KEY_INVALID', `${what} holds a private key that cannot be loaded`);
  }
  if (derivedX !== privateJwk.x) {
    throw new BerthError('KEY_INVALID', `${what} holds a private key whose "x" does not match "d"`);
  }
  const publicJwk = publicHalf(privateJwk);
  return { kid: keyIdOf(publicJwk), privateJwk, publicJwk };
}

export function findTrustedKey(
  trustedKeys: readonly PublicKey[],
  kid: unknown,
  curve: OkpCurve,
): PublicKey | undefined {
  return trustedKeys.find((key) => key.kid === kid && key.jwk.crv === curve);
}
