import { describe, expect, it } from 'vitest';
import { renderStatus } from '../../controller/commands/status.ts';
import type { HostView } from '../../controller/fleet/fleet.ts';

const now = new Date('2026-11-22T12:00:00Z');
const role = {
  service: 'shop',
  role: 'web',
  version: 'v2',
  sequence: 2,
  state: 'live',
  health: 'running',
  since: '2026-11-22T11:59:30Z',
  container: 'shop-web-v2-web-1-2',
};

function host(overrides: Partial<HostView>): HostView {
  return {
    host: 'web-1',
    reachable: true,
    online: null,
    fresh: null,
    lastSeenAt: null,
    error: null,
    roles: [role],
    ...overrides,
  };
}

describe('renderStatus', () => {
  it('direct mode: one row per host and role, unreachable hosts named with the reason', () => {
    expect(
      renderStatus(
        [host({}), host({ host: 'web-2', reachable: false, error: 'did not answer', roles: [] })],
        false,
        now,
      ),
    ).toBe(
      [
        'HOST   ROLE  VERSION  STATE        HEALTH   SINCE',
        'web-1  web   v2       live         running  30s ago',
        'web-2  -     -        unreachable  -        did not answer',
        '',
      ].join('\n'),
    );
  });

  it('through a controller: online/offline and fresh/stale with the last time each host was seen', () => {
    const rows = renderStatus(
      [
        host({ online: true, fresh: true, lastSeenAt: '2026-11-22T11:59:58Z' }),
        host({
          host: 'web-2',
          reachable: false,
          online: false,
          fresh: false,
          lastSeenAt: '2026-11-22T11:50:00Z',
        }),
      ],
      true,
      now,
    );
    expect(rows.split('\n')[0]).toBe(
      'HOST   AGENT    LAST SEEN        ROLE  VERSION  STATE  HEALTH   SINCE',
    );
    expect(rows).toContain(
      'web-1  online   fresh (2s ago)   web   v2       live   running  30s ago',
    );
    expect(rows).toContain(
      'web-2  offline  stale (10m ago)  web   v2       live   running  30s ago',
    );
  });
});
