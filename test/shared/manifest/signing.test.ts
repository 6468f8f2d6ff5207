import { CompactSign, compactVerify, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type KeyPair, type PublicKey } from '../../../shared/keys/index.ts';
import {
  RELEASE_JWS_TYPE,
  signRelease,
  verifyReleaseSignature,
} from '../../../shared/manifest/signing.ts';
import { rejection } from '../berth-error.ts';
import { manifestFixture } from './manifest-fixture.ts';

let releaseKey: KeyPair;
let otherKey: KeyPair;
let trusted: PublicKey[];

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS signed by a trusted key over any payload: what a buggy or older publisher could send. */
async function signRaw(payload: unknown, key: KeyPair = releaseKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RELEASE_JWS_TYPE })
    .sign(await importJWK(key.privateJwk, 'EdDSA'));
}

beforeAll(async () => {
  releaseKey = await generateSigningKey();
  otherKey = await generateSigningKey();
  trusted = [{ kid: releaseKey.kid, jwk: releaseKey.publicJwk }];
});

describe('signRelease / verifyReleaseSignature', () => {
  it('round-trips a manifest through an EdDSA JWS with kid and typ', async () => {
    const manifest = manifestFixture();
    const jws = await signRelease(manifest, releaseKey);
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', kid: releaseKey.kid, typ: 'berth-release+jws' });
    expect(await verifyReleaseSignature(jws, trusted)).toEqual(manifest);
  });

  it('refuses to sign a manifest that does not match the schema', async () => {
    const error = await rejection(signRelease({ ...manifestFixture(), sequence: 0 }, releaseKey));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toBe(
      'release manifest is invalid:\n  sequence: expected more than 0, got 0',
    );
  });

  it('rejects a tampered payload', async () => {
    const [header, , signature] = (await signRelease(manifestFixture(), releaseKey)).split('.');
    const forged = `${header}.${encode({ ...manifestFixture(), sequence: 999 })}.${signature}`;
    const error = await rejection(verifyReleaseSignature(forged, trusted));
    expect(error.code).toBe('SIGNATURE_INVALID');
    expect(error.message).toContain('does not verify');
  });

  it('rejects a signature made by another key under a trusted kid', async () => {
    const forged = await new CompactSign(
      new TextEncoder().encode(JSON.stringify(manifestFixture())),
    )
      .setProtectedHeader({ alg: 'EdDSA', kid: releaseKey.kid, typ: RELEASE_JWS_TYPE })
      .sign(await importJWK(otherKey.privateJwk, 'EdDSA'));
    expect((await rejection(verifyReleaseSignature(forged, trusted))).code).toBe(
      'SIGNATURE_INVALID',
    );
  });

  it('rejects a release signed by a key the agent does not trust', async () => {
    const jws = await signRelease(manifestFixture(), otherKey);
    const error = await rejection(verifyReleaseSignature(jws, trusted));
    expect(error.code).toBe('SIGNING_KEY_UNKNOWN');
    expect(error.message).toBe(
      `release is signed by key "${otherKey.kid}", which is not a trusted release key`,
    );
  });

  it('rejects alg "none" before looking at the kid', async () => {
    const unsigned = `${encode({ alg: 'none', kid: 'no-such-key', typ: RELEASE_JWS_TYPE })}.${encode(manifestFixture())}.`;
    const error = await rejection(verifyReleaseSignature(unsigned, trusted));
    expect(error.code).toBe('SIGNATURE_ALG_REJECTED');
    expect(error.message).toBe('release is signed with alg "none"; only EdDSA is accepted');
  });

  it('rejects HS256 with the public key as HMAC secret (algorithm confusion)', async () => {
    const secret = Buffer.from(releaseKey.publicJwk.x, 'base64url');
    const forged = await new CompactSign(
      new TextEncoder().encode(JSON.stringify(manifestFixture())),
    )
      .setProtectedHeader({ alg: 'HS256', kid: releaseKey.kid, typ: RELEASE_JWS_TYPE })
      .sign(secret);
    // The forgery is a valid HMAC, so a verifier that trusted the header's alg would accept it.
    await expect(compactVerify(forged, secret)).resolves.toBeDefined();
    const error = await rejection(verifyReleaseSignature(forged, trusted));
    expect(error.code).toBe('SIGNATURE_ALG_REJECTED');
    expect(error.message).toContain('"HS256"');
  });

  it.each(['RS256', 'ES256', 'EdDSA ', 'eddsa', 42])('rejects alg %j', async (alg) => {
    const [, payload, signature] = (await signRelease(manifestFixture(), releaseKey)).split('.');
    const forged = `${encode({ alg, kid: releaseKey.kid, typ: RELEASE_JWS_TYPE })}.${payload}.${signature}`;
    expect((await rejection(verifyReleaseSignature(forged, trusted))).code).toBe(
      'SIGNATURE_ALG_REJECTED',
    );
  });

  it('rejects a JWS of another type, such as an operator token', async () => {
    const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(manifestFixture())))
      .setProtectedHeader({ alg: 'EdDSA', kid: releaseKey.kid, typ: 'berth-operator+jwt' })
      .sign(await importJWK(releaseKey.privateJwk, 'EdDSA'));
    expect((await rejection(verifyReleaseSignature(jws, trusted))).code).toBe('SIGNATURE_INVALID');
  });

  it('rejects text that is not a compact JWS', async () => {
    for (const text of ['', 'a.b', 'not base64!.x.y', `${encode([1])}.x.y`]) {
      expect((await rejection(verifyReleaseSignature(text, trusted))).code).toBe(
        'SIGNATURE_INVALID',
      );
    }
  });

  it('names the key path of every schema problem in a validly signed payload', async () => {
    const payload = { ...manifestFixture(), roles: { web: { hosts: [1] } }, colour: 'blue' };
    const error = await rejection(verifyReleaseSignature(await signRaw(payload), trusted));
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toBe(
      [
        'release manifest is invalid:',
        '  roles.web.hosts.0: expected a string, got number',
        '  unknown key "colour"',
      ].join('\n'),
    );
  });

  it('rejects a validly signed payload whose image is a tag, not a digest', async () => {
    const payload = { ...manifestFixture(), image: 'registry.example.com/acme/demo:latest' };
    const error = await rejection(verifyReleaseSignature(await signRaw(payload), trusted));
    expect(error.code).toBe('IMAGE_NOT_PINNED');
    expect(error.message).toBe(
      'release image "registry.example.com/acme/demo:latest" is not pinned by digest (expected repo@sha256:<64 hex digits>)',
    );
  });
});
