import { afterEach, describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../../shared/api/controller-api.ts';
import { describeFleet } from '../../../controller/server/fleet-status.ts';
import type { StoredHost } from '../../../controller/server/state/records.ts';
import { ControllerHarness } from './controller-harness.ts';

const NOW = new Date('2026-11-21T12:00:00.000Z');
const clock = { now: NOW, staleAfterMs: 90_000, longPollMaxMs: 30_000 };

function host(
  name: string,
  lastSeenAgoMs: number | null,
  state: StoredHost['state'] = 'active',
): StoredHost {
  return {
    name,
    state,
    createdAt: NOW.toISOString(),
    joinedAt: NOW.toISOString(),
    revokedAt: null,
    lastSeenAt:
      lastSeenAgoMs === null ? null : new Date(NOW.getTime() - lastSeenAgoMs).toISOString(),
    signingPublicKey: null,
    encryptionPublicKey: null,
    tokenHash: '',
    tokenExpiresAt: NOW.toISOString(),
    tokenUsedAt: null,
  };
}

function liveness(hosts: StoredHost[], polling: string[] = []) {
  return describeFleet(
    'production',
    hosts,
    new Map(),
    (name) => polling.includes(name),
    clock,
  ).hosts.map((entry) => [entry.name, entry.online, entry.fresh]);
}

describe('describeFleet', () => {
  it('is fresh within staleAfterMs of the last contact, stale after', () => {
    expect(liveness([host('a', 0), host('b', 90_000), host('c', 90_001), host('d', null)])).toEqual(
      [
        ['a', true, true],
        ['b', false, true],
        ['c', false, false],
        ['d', false, false],
      ],
    );
  });

  it('is online while a poll is held or within one poll window (+5 s) of the last contact', () => {
    expect(liveness([host('a', 35_000), host('b', 35_001), host('c', 60_000)], ['c'])).toEqual([
      ['a', true, true],
      ['b', false, true],
      ['c', true, true],
    ]);
  });

  it('never shows pending or revoked hosts as online or fresh', () => {
    expect(liveness([host('a', 0, 'pending'), host('b', 0, 'revoked')], ['b'])).toEqual([
      ['a', false, false],
      ['b', false, false],
    ]);
  });
});

describe('GET /v1/status', () => {
  let harness: ControllerHarness;
  afterEach(() => harness.close());

  it('turns a host stale when it has not polled for staleAfterMs (injected clock)', async () => {
    harness = await ControllerHarness.create({ staleAfterMs: 60_000 });
    const agent = await harness.joinedHost('app-1');
    await harness.addHost('app-2');
    await harness.poll(agent);
    const fresh = (await harness.get('/v1/status')).json<FleetStatus>();
    expect(fresh).toMatchObject({ fleet: 'production', staleAfterMs: 60_000 });
    expect(
      fresh.hosts.map((entry) => [entry.name, entry.state, entry.online, entry.fresh]),
    ).toEqual([
      ['app-1', 'active', true, true],
      ['app-2', 'pending', false, false],
    ]);
    harness.advance(60_001);
    const stale = (await harness.get('/v1/status')).json<FleetStatus>();
    expect(stale.hosts[0]).toMatchObject({ name: 'app-1', online: false, fresh: false });
    await harness.poll(agent);
    expect((await harness.get('/v1/status')).json<FleetStatus>().hosts[0]?.fresh).toBe(true);
  });
});
