import { mkdtemp, readFile, stat, chmod, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodePublicKeyText,
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  parsePrivateKey,
  parsePublicKey,
  readKeyFile,
  readPublicKeyFile,
  writeKeyFile,
  type KeyPair,
} from '../../../shared/keys/index.ts';
import { rejection, thrown } from '../berth-error.ts';

let signing: KeyPair;
let encryption: KeyPair;
let dir: string;

beforeAll(async () => {
  signing = await generateSigningKey();
  encryption = await generateEncryptionKey();
  dir = await mkdtemp(join(tmpdir(), 'berth-keys-'));
});

describe('generated keys', () => {
  it('are Ed25519 for signing and X25519 for encryption, each with a private half', () => {
    expect(signing.publicJwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: signing.privateJwk.x });
    expect(encryption.publicJwk.crv).toBe('X25519');
    expect(signing.privateJwk.d).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('use the RFC 7638 thumbprint as kid, the same value jose computes', async () => {
    expect(signing.kid).toBe(await calculateJwkThumbprint(signing.publicJwk));
    expect(encryption.kid).toBe(await calculateJwkThumbprint(encryption.publicJwk));
    expect(signing.kid).not.toBe(encryption.kid);
  });
});

describe('key files', () => {
  it('are written with mode 0600 and read back as the same key pair', async () => {
    const path = join(dir, 'release.jwk');
    await writeKeyFile(path, signing.privateJwk);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readKeyFile(path)).toEqual(signing);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ kid: signing.kid });
  });

  it('refuse to replace an existing file unless told to', async () => {
    const path = join(dir, 'kept.jwk');
    await writeKeyFile(path, signing.privateJwk);
    const error = await rejection(writeKeyFile(path, encryption.privateJwk));
    expect(error.code).toBe('USAGE');
    expect((await readKeyFile(path)).kid).toBe(signing.kid);
    await writeKeyFile(path, encryption.privateJwk, { overwrite: true });
    expect((await readKeyFile(path)).kid).toBe(encryption.kid);
  });

  it('refuse a private key file that group or others can read, without showing the key', async () => {
    const path = join(dir, 'open.jwk');
    await writeKeyFile(path, signing.privateJwk);
    await chmod(path, 0o644);
    const error = await rejection(readKeyFile(path));
    expect(error.code).toBe('KEY_INVALID');
    expect(error.message).toBe(
      `private key file ${path} is accessible by group or others (mode 0644)`,
    );
    expect(error.hint).toBe(`Run: chmod 600 ${path}`);
    expect(JSON.stringify(error.toJSON())).not.toContain(signing.privateJwk.d);
  });

  it('report a missing file as KEY_NOT_FOUND', async () => {
    const error = await rejection(readKeyFile(join(dir, 'absent.jwk')));
    expect(error.code).toBe('KEY_NOT_FOUND');
  });

  it('reject a file whose public half does not match its private half', async () => {
    const path = join(dir, 'mismatch.jwk');
    const other = await generateSigningKey();
    await writeFile(path, JSON.stringify({ ...signing.privateJwk, x: other.publicJwk.x }), {
      mode: 0o600,
    });
    const error = await rejection(readKeyFile(path));
    expect(error.code).toBe('KEY_INVALID');
    expect(error.message).toContain('does not match');
    expect(error.message).not.toContain(signing.privateJwk.d);
  });

  it('reject a key of the other curve when one is required', async () => {
    const path = join(dir, 'enc.jwk');
    await writeKeyFile(path, encryption.privateJwk);
    const error = await rejection(readKeyFile(path, 'Ed25519'));
    expect(error.message).toBe(`key file ${path} must be an Ed25519 key, not X25519`);
  });

  it('yield public keys from a private file, a public file or the printable form', async () => {
    const privatePath = join(dir, 'pair.jwk');
    const publicPath = join(dir, 'public.jwk');
    const textPath = join(dir, 'public.txt');
    await writeKeyFile(privatePath, signing.privateJwk);
    await writeKeyFile(publicPath, signing.publicJwk);
    await writeFile(textPath, `${formatPublicKey(signing.publicJwk)}\n`);
    const expected = { kid: signing.kid, jwk: signing.publicJwk };
    expect(await readPublicKeyFile(privatePath)).toEqual(expected);
    expect(await readPublicKeyFile(publicPath)).toEqual(expected);
    expect(await readPublicKeyFile(textPath)).toEqual(expected);
  });
});

describe('private key text', () => {
  it('parses a JWK given in an environment variable', () => {
    expect(parsePrivateKey(JSON.stringify(signing.privateJwk), 'BERTH_RELEASE_KEY')).toEqual(
      signing,
    );
  });

  it('names the source but never the text when it is not a JWK', () => {
    const error = thrown(() => parsePrivateKey('{"d":"secret-bytes"', 'BERTH_RELEASE_KEY'));
    expect(error.message).toBe('BERTH_RELEASE_KEY is not a JWK (not valid JSON)');
  });
});

describe('printable public keys', () => {
  it('are ed25519:<x> or x25519:<x> and parse back to the same key and kid', () => {
    const text = formatPublicKey(signing.publicJwk);
    expect(text).toBe(`ed25519:${signing.publicJwk.x}`);
    expect(formatPublicKey(encryption.publicJwk)).toBe(`x25519:${encryption.publicJwk.x}`);
    expect(parsePublicKey(text)).toEqual({ kid: signing.kid, jwk: signing.publicJwk });
    expect(parsePublicKey(`  ${text}\n`).kid).toBe(signing.kid);
  });

  it('may also be given as a public JWK JSON string', () => {
    expect(parsePublicKey(JSON.stringify({ ...signing.publicJwk, kid: 'ignored' })).kid).toBe(
      signing.kid,
    );
  });

  it('refuse a private JWK, and never echo it', () => {
    const error = thrown(() => parsePublicKey(JSON.stringify(signing.privateJwk)));
    expect(error.code).toBe('KEY_INVALID');
    expect(error.message).toBe('a private key was given where a public key belongs');
  });

  it('refuse malformed text and the wrong curve', () => {
    expect(thrown(() => decodePublicKeyText('ed25519:short')).code).toBe('KEY_INVALID');
    expect(thrown(() => decodePublicKeyText(`rsa:${signing.publicJwk.x}`)).code).toBe(
      'KEY_INVALID',
    );
    const wrongCurve = thrown(() =>
      parsePublicKey(formatPublicKey(encryption.publicJwk), 'Ed25519'),
    );
    expect(wrongCurve.message).toBe('the public key must be an Ed25519 key, not X25519');
  });
});
