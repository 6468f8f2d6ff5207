import { createPublicKey } from 'node:crypto';
import { BerthError } from '../errors.ts';
import {
  assertCurve,
  keyIdOf,
  publicHalf,
  publicJwkSchema,
  type OkpCurve,
  type PublicJwk,
  type PublicKey,
} from './jwk.ts';

const prefixOf: Record<OkpCurve, string> = { Ed25519: 'ed25519', X25519: 'x25519' };
const compactForm = /^(ed25519|x25519):([A-Za-z0-9_-]{43})$/;
const hint = 'expected "ed25519:<base64url>", "x25519:<base64url>" or a public JWK';

/**
 * The one printable form of a public key, for copy and paste between CLI, agent and config:
 * `ed25519:<base64url x>` or `x25519:<base64url x>`.
 */
export function formatPublicKey(key: PublicKey | PublicJwk): string {
  const jwk = 'jwk' in key ? key.jwk : key;
  return `${prefixOf[jwk.crv]}:${jwk.x}`;
}

function fromJson(text: string): PublicJwk {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BerthError('KEY_INVALID', `public key is not valid JSON; ${hint}`);
  }
  if (typeof value === 'object' && value !== null && 'd' in value) {
    throw new BerthError('KEY_INVALID', 'a private key was given where a public key belongs');
  }
  const parsed = publicJwkSchema.safeParse(value);
  if (!parsed.success) throw new BerthError('KEY_INVALID', `public key is not an OKP JWK; ${hint}`);
  return parsed.data;
}

function fromCompact(text: string): PublicJwk {
  const match = compactForm.exec(text);
  if (!match) throw new BerthError('KEY_INVALID', `public key is malformed; ${hint}`);
  const crv: OkpCurve = match[1] === 'ed25519' ? 'Ed25519' : 'X25519';
  return { kty: 'OKP', crv, x: match[2] ?? '' };
}

/** Parses without computing the kid. Throws KEY_INVALID; never echoes the text. */
export function decodePublicKeyText(text: string, curve?: OkpCurve): PublicJwk {
  const trimmed = text.trim();
  const jwk = trimmed.startsWith('{') ? fromJson(trimmed) : fromCompact(trimmed);
  try {
    createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new BerthError('KEY_INVALID', `public key is not a valid ${jwk.crv} point`);
  }
  if (curve) assertCurve(jwk, curve, 'the public key');
  return publicHalf(jwk);
}

/** Parses the printable form or a JWK JSON string; `curve` rejects the other kind of key. */
export function parsePublicKey(text: string, curve?: OkpCurve): PublicKey {
  const jwk = decodePublicKeyText(text, curve);
  return { kid: keyIdOf(jwk), jwk };
}

export function parsePublicKeys(texts: readonly string[], curve: OkpCurve): PublicKey[] {
  return texts.map((text) => parsePublicKey(text, curve));
}
