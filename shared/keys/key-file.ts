import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BerthError } from '../errors.ts';
import {
  assertCurve,
  keyIdOf,
  keyPairOf,
  privateJwkSchema,
  publicHalf,
  publicJwkSchema,
  type KeyPair,
  type OkpCurve,
  type PrivateJwk,
  type PublicJwk,
  type PublicKey,
} from './jwk.ts';
import { decodePublicKeyText } from './public-key-text.ts';

const KEY_FILE_MODE = 0o600;

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

async function readKeyText(path: string): Promise<{ text: string; mode: number }> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mode: info.mode & 0o777 };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw new BerthError('KEY_NOT_FOUND', `key file ${path} does not exist`);
    }
    throw new BerthError(
      'KEY_INVALID',
      `key file ${path} cannot be read (${String(errorCode(error))})`,
    );
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BerthError('KEY_INVALID', `${source} is not a JWK (not valid JSON)`);
  }
}

/**
 * Parses a private JWK given as text, e.g. from $BERTH_RELEASE_KEY in CI. `source` names where
 * it came from; the message never contains the text.
 */
export function parsePrivateKey(text: string, source: string, curve?: OkpCurve): KeyPair {
  const parsed = privateJwkSchema.safeParse(parseJson(text, source));
  if (!parsed.success) {
    throw new BerthError('KEY_INVALID', `${source} is not an Ed25519/X25519 private JWK`);
  }
  if (curve) assertCurve(parsed.data, curve, source);
  return keyPairOf(parsed.data, source);
}

/** Reads a private key file (a JWK with `d`), refusing one that group or others can access. */
export async function readKeyFile(path: string, curve?: OkpCurve): Promise<KeyPair> {
  const { text, mode } = await readKeyText(path);
  const pair = parsePrivateKey(text, `key file ${path}`, curve);
  if ((mode & 0o077) !== 0) {
    throw new BerthError(
      'KEY_INVALID',
      `private key file ${path} is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')})`,
      { hint: `Run: chmod 600 ${path}` },
    );
  }
  return pair;
}

/** Reads a public key from a JWK file (public or private) or a file holding the printable form. */
export async function readPublicKeyFile(path: string, curve?: OkpCurve): Promise<PublicKey> {
  const { text } = await readKeyText(path);
  if (!text.trim().startsWith('{')) {
    const jwk = decodePublicKeyText(text, curve);
    return { kid: keyIdOf(jwk), jwk };
  }
  if (privateJwkSchema.safeParse(parseJson(text, `key file ${path}`)).success) {
    const { kid, publicJwk } = await readKeyFile(path, curve);
    return { kid, jwk: publicJwk };
  }
  const parsed = publicJwkSchema.safeParse(parseJson(text, `key file ${path}`));
  if (!parsed.success) {
    throw new BerthError('KEY_INVALID', `key file ${path} is not an Ed25519/X25519 JWK`);
  }
  if (curve) assertCurve(parsed.data, curve, `key file ${path}`);
  const jwk = publicHalf(parsed.data);
  return { kid: keyIdOf(jwk), jwk };
}

/**
 * Writes a JWK (with its kid) with mode 0600, atomically. Refuses to replace an existing file
 * unless `overwrite` is set: losing a release key locks every agent out until re-trusted.
 */
export async function writeKeyFile(
  path: string,
  jwk: PrivateJwk | PublicJwk,
  options: { overwrite?: boolean } = {},
): Promise<void> {
  const { kty, crv, x } = jwk;
  const kid = keyIdOf(jwk);
  const body = 'd' in jwk ? { kty, crv, x, d: jwk.d, kid } : { kty, crv, x, kid };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(body, null, 2)}\n`, {
    mode: KEY_FILE_MODE,
    flag: 'wx',
  });
  try {
    if (options.overwrite) await rename(temporary, path);
    else await link(temporary, path);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      throw new BerthError('USAGE', `key file ${path} already exists; refusing to overwrite it`);
    }
    throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
}
