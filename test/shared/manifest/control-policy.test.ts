import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKey, type KeyPair, type PublicKey } from '../../../shared/keys/index.ts';
import type { ServiceControlInput } from '../../../shared/manifest/control-schema.ts';
import { checkControlPolicy, verifyControl } from '../../../shared/manifest/control-policy.ts';
import {
  CONTROL_JWS_TYPE,
  parseControl,
  signControl,
  verifyControlSignature,
} from '../../../shared/manifest/control-signing.ts';
import { signRelease, verifyReleaseSignature } from '../../../shared/manifest/signing.ts';
import { rejection, thrown } from '../berth-error.ts';
import { manifestFixture } from './manifest-fixture.ts';

let releaseKey: KeyPair;
let otherKey: KeyPair;
let trusted: PublicKey[];

const NOW = new Date('2026-11-21T12:00:00.000Z');

function control(overrides: Partial<ServiceControlInput> = {}): ServiceControlInput {
  return {
    schema: 1,
    fleet: 'production',
    service: 'shop',
    hosts: ['app-1', 'app-2'],
    sequence: 1_000,
    issuedAt: '2026-11-21T11:58:00.000Z',
    expiresAt: '2026-11-21T12:08:00.000Z',
    issuedBy: 'ops@acme',
    action: 'maintenance-on',
    message: 'Back at 5',
    ...overrides,
  };
}

const target = { fleet: 'production', hostName: 'app-1', lastAppliedSequence: 999, now: NOW };

beforeAll(async () => {
  releaseKey = await generateSigningKey();
  otherKey = await generateSigningKey();
  trusted = [{ kid: releaseKey.kid, jwk: releaseKey.publicJwk }];
});

describe('service control schema', () => {
  it('takes each action with its one parameter, and nothing else', () => {
    expect(parseControl(control()).message).toBe('Back at 5');
    expect(
      parseControl(control({ action: 'pause', message: undefined, maxPauseMs: 30_000 })),
    ).toMatchObject({ action: 'pause', maxPauseMs: 30_000 });
    expect(thrown(() => parseControl(control({ action: 'pause', message: undefined }))).code).toBe(
      'CONTROL_INVALID',
    );
    const stray = thrown(() => parseControl(control({ action: 'resume' })));
    expect(stray.message).toMatch(/message.*only maintenance-on/);
    expect(thrown(() => parseControl({ ...control(), extra: 1 })).code).toBe('CONTROL_INVALID');
    expect(
      thrown(() =>
        parseControl(control({ action: 'pause', message: undefined, maxPauseMs: 600_001 })),
      ).message,
    ).toMatch(/maxPauseMs/);
  });
});

describe('signControl / verifyControlSignature', () => {
  it('round-trips through an EdDSA JWS of its own typ', async () => {
    const jws = await signControl(control(), releaseKey);
    const header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toEqual({ alg: 'EdDSA', kid: releaseKey.kid, typ: CONTROL_JWS_TYPE });
    expect(await verifyControlSignature(jws, trusted)).toEqual(parseControl(control()));
  });

  it('never takes a release for a control, nor a control for a release', async () => {
    const release = await signRelease(manifestFixture(), releaseKey);
    const asControl = await rejection(verifyControlSignature(release, trusted));
    expect([asControl.code, asControl.message]).toEqual([
      'SIGNATURE_INVALID',
      `JWS typ "berth-release+jws" is not ${CONTROL_JWS_TYPE}`,
    ]);
    const asRelease = await rejection(
      verifyReleaseSignature(await signControl(control(), releaseKey), trusted),
    );
    expect(asRelease.code).toBe('SIGNATURE_INVALID');
  });

  it('refuses an unknown key and a tampered payload', async () => {
    const foreign = await rejection(
      verifyControlSignature(await signControl(control(), otherKey), trusted),
    );
    expect(foreign.code).toBe('SIGNING_KEY_UNKNOWN');
    const [header, , signature] = (await signControl(control(), releaseKey)).split('.');
    const payload = Buffer.from(JSON.stringify(control({ sequence: 9_999 }))).toString('base64url');
    const tampered = await rejection(
      verifyControlSignature([header, payload, signature].join('.'), trusted),
    );
    expect([tampered.code, tampered.message]).toEqual([
      'SIGNATURE_INVALID',
      expect.stringMatching(/tampered payload or wrong key/),
    ]);
  });
});

describe('checkControlPolicy', () => {
  const parsed = (overrides: Partial<ServiceControlInput> = {}) => parseControl(control(overrides));

  it('accepts a fresh control for this fleet and host, above the last applied', () => {
    expect(() => checkControlPolicy(parsed(), target)).not.toThrow();
    expect(() =>
      checkControlPolicy(parsed(), { ...target, lastAppliedSequence: null }),
    ).not.toThrow();
  });

  it.each([
    ['FLEET_MISMATCH', { fleet: 'staging' }, /fleet "staging"/],
    ['HOST_NOT_TARGETED', { hosts: ['app-2'] }, /not host "app-1"/],
    ['CONTROL_EXPIRED', { expiresAt: '2026-11-21T12:00:00.000Z' }, /expired at/],
    ['CONTROL_INVALID', { expiresAt: '2026-11-21T11:58:00.000Z' }, /no later than/],
    ['CONTROL_REPLAYED', { sequence: 999 }, /not greater than 999/],
  ] as [string, Partial<ServiceControlInput>, RegExp][])(
    'refuses with %s',
    (code, overrides, message) => {
      const error = thrown(() => checkControlPolicy(parsed(overrides), target));
      expect([error.code, error.message]).toEqual([code, expect.stringMatching(message)]);
    },
  );

  it('verifyControl runs the signature check, then the policy with the service’s last sequence', async () => {
    const jws = await signControl(control(), releaseKey);
    const asked: string[] = [];
    const options = {
      trustedKeys: trusted,
      fleet: 'production',
      hostName: 'app-1',
      now: NOW,
      lastAppliedSequence: (service: string) => (asked.push(service), 1_000),
    };
    expect((await rejection(verifyControl(jws, options))).code).toBe('CONTROL_REPLAYED');
    expect(asked).toEqual(['shop']);
    const fresh = await signControl(control({ sequence: 1_001 }), releaseKey);
    expect((await verifyControl(fresh, options)).sequence).toBe(1_001);
  });
});
