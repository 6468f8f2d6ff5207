import { CompactSign, importJWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bearerToken,
  signOperatorToken,
  verifyOperatorToken,
} from '../../../shared/auth/operator-token.ts';
import type { BerthError } from '../../../shared/errors.ts';
import { generateSigningKey, type KeyPair, type PublicKey } from '../../../shared/keys/index.ts';
import { signRelease } from '../../../shared/manifest/signing.ts';
import { rejection } from '../berth-error.ts';
import { manifestFixture } from '../manifest/manifest-fixture.ts';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const nowSeconds = NOW.getTime() / 1000;
let operator: KeyPair;
let stranger: KeyPair;
let trustedKeys: PublicKey[];

beforeAll(async () => {
  operator = await generateSigningKey();
  stranger = await generateSigningKey();
  trustedKeys = [{ kid: operator.kid, jwk: operator.publicJwk }];
});

const verifyAt = (token: string | undefined, now = NOW) =>
  verifyOperatorToken(token, { trustedKeys, audience: 'app-1', now });

async function refused(token: string, now = NOW): Promise<BerthError> {
  const error = await rejection(verifyAt(token, now));
  expect(error.code).toBe('AUTH_INVALID');
  expect(error.message).not.toContain(token);
  return error;
}

describe('operator tokens', () => {
  it('round-trip: the agent learns who sent the call and with which key', async () => {
    const token = await signOperatorToken(operator, {
      audience: 'app-1',
      subject: 'alice',
      now: NOW,
    });
    expect(await verifyAt(token)).toEqual({ subject: 'alice', kid: operator.kid });
  });

  it('are required', async () => {
    for (const token of [undefined, '']) {
      expect((await rejection(verifyAt(token))).code).toBe('AUTH_REQUIRED');
    }
  });

  it('expire after their ttl, with 30 s of clock tolerance', async () => {
    const token = await signOperatorToken(operator, {
      audience: 'app-1',
      subject: 'alice',
      ttlSeconds: 60,
      now: NOW,
    });
    expect((await verifyAt(token, new Date(NOW.getTime() + 80_000))).subject).toBe('alice');
    const error = await refused(token, new Date(NOW.getTime() + 91_000));
    expect(error.message).toBe('operator token has expired');
  });

  it('are refused by any agent but the one they name', async () => {
    const token = await signOperatorToken(operator, {
      audience: 'app-2',
      subject: 'alice',
      now: NOW,
    });
    expect((await refused(token)).message).toBe(
      'operator token is for another agent (audience does not match)',
    );
  });

  it('are refused when signed by a key the agent does not trust', async () => {
    const token = await signOperatorToken(stranger, {
      audience: 'app-1',
      subject: 'mallory',
      now: NOW,
    });
    expect((await refused(token)).message).toBe(
      `operator token is signed by key "${stranger.kid}", which is not a trusted operator key`,
    );
  });

  it('are refused with alg none', async () => {
    const encode = (value: unknown): string =>
      Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
      sub: 'mallory',
      aud: 'app-1',
      iat: nowSeconds,
      exp: nowSeconds + 60,
      jti: 'x',
    };
    const token = `${encode({ alg: 'none', kid: operator.kid, typ: 'berth-operator+jwt' })}.${encode(claims)}.`;
    expect((await refused(token)).message).toBe(
      'operator token uses alg "none"; only EdDSA is accepted',
    );
  });

  it('are refused with HS256 keyed by the public key (algorithm confusion)', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: operator.kid, typ: 'berth-operator+jwt' })
      .setSubject('mallory')
      .setAudience('app-1')
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 60)
      .setJti('x')
      .sign(Buffer.from(operator.publicJwk.x, 'base64url'));
    expect((await refused(token)).message).toBe(
      'operator token uses alg "HS256"; only EdDSA is accepted',
    );
  });

  it('are refused when the signature does not match the claims', async () => {
    const [header, , signature] = (
      await signOperatorToken(operator, { audience: 'app-1', subject: 'alice', now: NOW })
    ).split('.');
    const claims = { sub: 'root', aud: 'app-1', iat: nowSeconds, exp: nowSeconds + 60, jti: 'x' };
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await refused(forged)).message).toBe('operator token signature does not verify');
  });

  it('are refused when they live longer than ten minutes', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: 'berth-operator+jwt' })
      .setSubject('alice')
      .setAudience('app-1')
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + 3_600)
      .setJti('x')
      .sign(await importJWK(operator.privateJwk, 'EdDSA'));
    expect((await refused(token)).message).toBe(
      'operator token lifetime of 3600 s exceeds the 600 s maximum',
    );
    const tooLong = await rejection(
      signOperatorToken(operator, { audience: 'app-1', subject: 'alice', ttlSeconds: 601 }),
    );
    expect(tooLong.code).toBe('USAGE');
  });

  it('cannot be replaced by a signed release from the same key', async () => {
    const release = await signRelease(manifestFixture(), operator);
    expect((await refused(release)).message).toContain('typ');
  });

  it('cannot be a JWS with a payload that is not a JWT', async () => {
    const jws = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'EdDSA', kid: operator.kid, typ: 'berth-operator+jwt' })
      .sign(await importJWK(operator.privateJwk, 'EdDSA'));
    expect((await refused(jws)).message).toBe('operator token is malformed');
  });
});

describe('bearerToken', () => {
  it('reads the token of a Bearer authorization header, and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
