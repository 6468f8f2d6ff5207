import { describe, expect, it } from 'vitest';
import { chooseRollbackTarget } from '../../controller/commands/rollback.ts';
import { nextSequence } from '../../controller/releases/next-sequence.ts';
import type { ReleaseView } from '../../controller/fleet/fleet.ts';

function release(sequence: number, version: string, state: string, live = false): ReleaseView {
  return {
    sequence,
    version,
    image: `i@sha256:${sequence}`,
    issuedBy: 'x',
    issuedAt: '',
    rollbackOf: null,
    hosts: { 'web-1': live ? 'live' : state },
    jws: '',
  };
}

describe('chooseRollbackTarget', () => {
  const history = [
    release(1, 'v1', 'done'),
    release(2, 'v2', 'done'),
    release(3, 'v3', 'failed'),
    release(4, 'v2', 'done', true),
  ];

  it('picks the newest release that went live before the live one, with another version', () => {
    expect(chooseRollbackTarget(history, undefined).sequence).toBe(1);
  });

  it('picks the newest live-once release of a named version, and refuses versions that never went live', () => {
    expect(chooseRollbackTarget(history, 'v2').sequence).toBe(4);
    expect(() => chooseRollbackTarget(history, 'v3')).toThrow(
      /no release of version v3 ever went live/,
    );
  });

  it('refuses when there is nothing earlier', () => {
    expect(() => chooseRollbackTarget([release(1, 'v1', 'done', true)], undefined)).toThrow(
      /no earlier release/,
    );
  });
});

describe('nextSequence', () => {
  it('uses the clock, unless a host has seen a higher sequence', () => {
    expect(nextSequence([5, 9], new Date(1000))).toBe(1000);
    expect(nextSequence([5, 2000], new Date(1000))).toBe(2001);
  });
});
