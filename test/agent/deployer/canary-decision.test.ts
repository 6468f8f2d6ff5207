import { describe, expect, it } from 'vitest';
import { planCanary, type CanaryContext } from '../../../agent/deployer/canary-decision.ts';
import type { Deployment } from '../../../agent/state/deployment.ts';
import { FIXTURE_IMAGE, releaseManifestFixture } from '../../fixtures/release-manifest.ts';

const parked: Deployment = {
  id: 7,
  service: 'shop',
  sequence: 40,
  previousSequence: 30,
  state: 'canary',
  attempt: 1,
  error: null,
  startedAt: '2026-11-21T09:00:00Z',
  updatedAt: '2026-11-21T09:01:00Z',
  finishedAt: null,
};
const withCanary: CanaryContext = {
  parked,
  parkedImage: FIXTURE_IMAGE,
  liveSequence: 30,
  rerun: false,
};
const noCanary: CanaryContext = { parked: null, parkedImage: null, liveSequence: 30, rerun: false };

describe('planCanary', () => {
  it('deploys a normal release normally, aborting a parked canary first', () => {
    expect(planCanary(releaseManifestFixture(), noCanary)).toEqual({
      kind: 'deploy',
      abortFirst: null,
      canaryPercent: null,
    });
    expect(planCanary(releaseManifestFixture(), withCanary)).toEqual({
      kind: 'deploy',
      abortFirst: parked,
      canaryPercent: null,
    });
  });

  it('parks a canary release with its percent, replacing a parked canary', () => {
    const manifest = releaseManifestFixture({ canary: { percent: 10 } });
    expect(planCanary(manifest, noCanary)).toEqual({
      kind: 'deploy',
      abortFirst: null,
      canaryPercent: 10,
    });
    expect(planCanary(manifest, withCanary)).toMatchObject({
      abortFirst: parked,
      canaryPercent: 10,
    });
  });

  it('refuses a canary when nothing is live to share clients with', () => {
    const manifest = releaseManifestFixture({ canary: { percent: 10 } });
    expect(() => planCanary(manifest, { ...noCanary, liveSequence: null })).toThrow(
      expect.objectContaining({ code: 'CANARY_WITHOUT_LIVE' }),
    );
  });

  it('promotes or aborts the parked canary the release names', () => {
    expect(planCanary(releaseManifestFixture({ promotionOf: 40 }), withCanary)).toEqual({
      kind: 'promote',
      canary: parked,
    });
    expect(planCanary(releaseManifestFixture({ canaryAbortOf: 40 }), withCanary)).toEqual({
      kind: 'abort',
      canary: parked,
    });
  });

  it('refuses a promotion or abort of another release, or with no canary parked', () => {
    for (const mark of [{ promotionOf: 39 }, { canaryAbortOf: 41 }]) {
      expect(() => planCanary(releaseManifestFixture(mark), withCanary)).toThrow(
        expect.objectContaining({
          code: 'CANARY_NOT_RUNNING',
          message: expect.stringContaining('the canary running here is release 40'),
        }),
      );
      expect(() => planCanary(releaseManifestFixture(mark), noCanary)).toThrow(
        expect.objectContaining({ code: 'CANARY_NOT_RUNNING' }),
      );
    }
  });

  it('refuses a promotion whose image is not the canary’s', () => {
    const other = `registry.example.test/acme/shop@sha256:${'cd'.repeat(32)}`;
    expect(() =>
      planCanary(releaseManifestFixture({ promotionOf: 40, image: other }), withCanary),
    ).toThrow(expect.objectContaining({ code: 'MANIFEST_INVALID' }));
  });

  it('refuses a release that is a canary and a promotion at once', () => {
    const manifest = releaseManifestFixture({ canary: { percent: 5 }, promotionOf: 40 });
    expect(() => planCanary(manifest, withCanary)).toThrow(
      expect.objectContaining({
        code: 'MANIFEST_INVALID',
        message: expect.stringContaining('sets both canary and promotionOf'),
      }),
    );
  });

  it('runs a stored release again (local rollback) as a plain deploy', () => {
    const manifest = releaseManifestFixture({ canary: { percent: 10 } });
    expect(planCanary(manifest, { ...withCanary, rerun: true })).toEqual({
      kind: 'deploy',
      abortFirst: parked,
      canaryPercent: null,
    });
  });
});
