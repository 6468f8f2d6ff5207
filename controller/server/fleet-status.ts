import type { FleetHost, FleetStatus } from '../../shared/api/controller-api.ts';
import type { HostReportedStatus, StoredHost } from './state/records.ts';

/** Slack on top of the longest poll before a host that stopped polling shows offline. */
export const ONLINE_GRACE_MS = 5_000;

export interface FleetClock {
  now: Date;
  staleAfterMs: number;
  longPollMaxMs: number;
}

function sinceMs(at: string | null, now: Date): number {
  return at === null ? Number.POSITIVE_INFINITY : now.getTime() - Date.parse(at);
}

/**
 * Each host's liveness and last report. `online`: an active host with a poll held right now, or
 * one that reached the controller within a poll window (longPollMaxMs + 5 s). `fresh`: it
 * reached the controller within staleAfterMs, so its reported services can be trusted. Pure.
 */
export function describeFleet(
  fleet: string,
  hosts: readonly StoredHost[],
  statuses: ReadonlyMap<string, HostReportedStatus>,
  isPolling: (name: string) => boolean,
  clock: FleetClock,
): FleetStatus {
  return {
    fleet,
    staleAfterMs: clock.staleAfterMs,
    hosts: hosts.map((host): FleetHost => {
      const active = host.state === 'active';
      const quietMs = sinceMs(host.lastSeenAt, clock.now);
      return {
        name: host.name,
        state: host.state,
        online:
          active && (isPolling(host.name) || quietMs <= clock.longPollMaxMs + ONLINE_GRACE_MS),
        fresh: active && quietMs <= clock.staleAfterMs,
        lastSeenAt: host.lastSeenAt,
        services: statuses.get(host.name)?.services ?? [],
      };
    }),
  };
}
