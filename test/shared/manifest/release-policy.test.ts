import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type KeyPair } from '../../../shared/keys/index.ts';
import { checkReleasePolicy, verifyRelease } from '../../../shared/manifest/release-policy.ts';
import { signRelease } from '../../../shared/manifest/signing.ts';
import { rejection, thrown } from '../berth-error.ts';
import { EXPIRES_AT, manifestFixture, NOW, targetFixture } from './manifest-fixture.ts';

describe('checkReleasePolicy', () => {
  it('accepts a fresh release for this fleet and host with a higher sequence', () => {
    expect(() => checkReleasePolicy(manifestFixture(), targetFixture)).not.toThrow();
    expect(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, lastAppliedSequence: null }),
    ).not.toThrow();
    expect(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, hostName: 'worker-1' }),
    ).not.toThrow();
  });

  it('rejects a release for another fleet', () => {
    const error = thrown(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, fleet: 'staging' }),
    );
    expect(error.code).toBe('FLEET_MISMATCH');
    expect(error.message).toBe(
      'release demo #5 is for fleet "prod", this agent is in fleet "staging"',
    );
  });

  it('rejects a release that names this host in no role', () => {
    const error = thrown(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, hostName: 'db-1' }),
    );
    expect(error.code).toBe('HOST_NOT_TARGETED');
    expect(error.message).toBe('release demo #5 does not name host "db-1" in any role');
  });

  it.each([
    ['equal to', 5],
    ['lower than', 9],
  ])('rejects a sequence %s the last applied one (replay)', (_, lastAppliedSequence) => {
    const error = thrown(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, lastAppliedSequence }),
    );
    expect(error.code).toBe('RELEASE_REPLAYED');
    expect(error.message).toBe(
      `release demo #5: sequence 5 is not greater than ${lastAppliedSequence}, the last sequence applied for service "demo"`,
    );
  });

  it('rejects a release at and after its expiry (freeze attack)', () => {
    for (const now of [new Date(EXPIRES_AT), new Date('2026-02-01T00:00:00.000Z')]) {
      const error = thrown(() => checkReleasePolicy(manifestFixture(), { ...targetFixture, now }));
      expect(error.code).toBe('RELEASE_EXPIRED');
      expect(error.message).toBe(
        `release demo #5 expired at ${EXPIRES_AT} (agent clock: ${now.toISOString()})`,
      );
    }
    const justBefore = new Date(Date.parse(EXPIRES_AT) - 1);
    expect(() =>
      checkReleasePolicy(manifestFixture(), { ...targetFixture, now: justBefore }),
    ).not.toThrow();
  });

  it('rejects a manifest that expires no later than it was issued', () => {
    const manifest = manifestFixture({ expiresAt: '2026-01-01T00:00:00.000Z' });
    expect(thrown(() => checkReleasePolicy(manifest, targetFixture)).code).toBe('MANIFEST_INVALID');
  });

  it('rejects an image given by tag instead of digest', () => {
    const manifest = { ...manifestFixture(), image: 'registry.example.com/acme/demo:v1.2.3' };
    const error = thrown(() => checkReleasePolicy(manifest, targetFixture));
    expect(error.code).toBe('IMAGE_NOT_PINNED');
  });
});

describe('verifyRelease', () => {
  let key: KeyPair;
  beforeAll(async () => {
    key = await generateSigningKey();
  });

  it('returns the manifest of a signed release that passes every check', async () => {
    const jws = await signRelease(manifestFixture(), key);
    const options = { ...targetFixture, trustedKeys: [{ kid: key.kid, jwk: key.publicJwk }] };
    expect(await verifyRelease(jws, options)).toEqual(manifestFixture());
  });

  it('applies the policy after the signature', async () => {
    const jws = await signRelease(manifestFixture(), key);
    const trustedKeys = [{ kid: key.kid, jwk: key.publicJwk }];
    const replayed = await rejection(
      verifyRelease(jws, { ...targetFixture, trustedKeys, lastAppliedSequence: 5 }),
    );
    expect(replayed.code).toBe('RELEASE_REPLAYED');
    const untrusted = await rejection(
      verifyRelease(jws, { ...targetFixture, trustedKeys: [], now: NOW }),
    );
    expect(untrusted.code).toBe('SIGNING_KEY_UNKNOWN');
  });
});
