import { describe, expect, it } from 'vitest';
import type { ControlHistoryEntry } from '../../shared/api/controller-api.ts';
import { parseControl } from '../../shared/manifest/control-signing.ts';
import { buildControl } from '../../controller/fleet/build-control.ts';
import { controlOutcomes } from '../../controller/fleet/control-outcomes.ts';

describe('buildControl', () => {
  it('signs for the app’s fleet and service, to the hosts, for ten minutes', () => {
    const control = buildControl({
      config: { fleet: 'production', service: 'shop' },
      hosts: ['web-1', 'web-2'],
      action: { action: 'pause', maxPauseMs: 30_000 },
      sequence: 1_700_000_000_000,
      issuedBy: 'ops@acme',
      now: new Date('2026-11-22T10:00:00.000Z'),
    });
    expect(parseControl(control)).toEqual({
      schema: 1,
      fleet: 'production',
      service: 'shop',
      hosts: ['web-1', 'web-2'],
      sequence: 1_700_000_000_000,
      issuedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: '2026-11-22T10:10:00.000Z',
      issuedBy: 'ops@acme',
      action: 'pause',
      maxPauseMs: 30_000,
    });
  });
});

describe('controlOutcomes', () => {
  const at = '2026-11-22T10:00:01.000Z';
  const entry: ControlHistoryEntry = {
    service: 'shop',
    sequence: 7,
    action: 'maintenance-on',
    message: 'Back soon',
    maxPauseMs: null,
    issuedBy: 'ops@acme',
    publishedBy: 'ops@acme',
    publishedAt: at,
    expiresAt: '2026-11-22T10:10:00.000Z',
    settled: 2,
    jws: 'x.y.z',
    hosts: {
      'web-1': {
        state: 'applied',
        error: null,
        routes: [{ route: 'shop-web', maintenance: { message: 'Back soon' }, pause: null }],
        updatedAt: at,
      },
      'web-2': {
        state: 'refused',
        error: { code: 'CONTROL_EXPIRED', message: 'control shop #7 expired' },
        routes: [],
        updatedAt: at,
      },
      'web-3': { state: 'pending', error: null, routes: [], updatedAt: at },
      'web-4': { state: 'pending', error: null, routes: [], updatedAt: at },
      'web-5': { state: 'expired', error: null, routes: [], updatedAt: at },
    },
  };

  it('says per host whether it applied, refused (and why), or why it is not known to have', () => {
    expect(controlOutcomes(entry, new Set(['web-4']), 30_000)).toEqual([
      {
        host: 'web-1',
        ok: true,
        answer: { host: 'web-1', service: 'shop', routes: entry.hosts['web-1']?.routes },
      },
      { host: 'web-2', ok: false, error: 'refused: CONTROL_EXPIRED: control shop #7 expired' },
      {
        host: 'web-3',
        ok: false,
        error: 'no answer within 30 s; it may still apply it until 2026-11-22T10:10:00.000Z',
      },
      {
        host: 'web-4',
        ok: false,
        error:
          'offline; it applies the control when it reconnects, if before 2026-11-22T10:10:00.000Z',
      },
      {
        host: 'web-5',
        ok: false,
        error: 'the control expired (2026-11-22T10:10:00.000Z) before web-5 fetched it',
      },
    ]);
  });
});
