import { describe, expect, it } from 'vitest';
import { chooseCanaryReleases } from '../../controller/commands/canary.ts';
import type { ReleaseView } from '../../controller/fleet/fleet.ts';

function release(sequence: number, version: string, hosts: Record<string, string>): ReleaseView {
  return {
    sequence,
    version,
    image: `demo@sha256:${String(sequence).padStart(64, '0')}`,
    issuedBy: 'test',
    issuedAt: '2026-11-22T12:00:00Z',
    rollbackOf: null,
    hosts,
    jws: '',
  };
}

describe('chooseCanaryReleases', () => {
  it('finds the running canary and the live release beside it', () => {
    const releases = [
      release(1, 'v1', { 'web-1': 'done', 'web-2': 'done' }),
      release(2, 'v2', { 'web-1': 'live', 'web-2': 'live' }),
      release(3, 'v3', { 'web-1': 'canary', 'web-2': 'canary' }),
    ];
    const { canary, live } = chooseCanaryReleases(releases, 'demo');
    expect([canary.version, live.version]).toEqual(['v3', 'v2']);
  });

  it('refuses with CANARY_NOT_RUNNING when no host runs a canary', () => {
    const releases = [
      release(2, 'v2', { 'web-1': 'live' }),
      release(3, 'v3', { 'web-1': 'rolled_back' }),
    ];
    expect(() => chooseCanaryReleases(releases, 'demo')).toThrow(
      expect.objectContaining({
        code: 'CANARY_NOT_RUNNING',
        message: 'no canary of demo is running',
        hint: expect.stringContaining('berth deploy --version VERSION --canary PERCENT'),
      }),
    );
  });
});
