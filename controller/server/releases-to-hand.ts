import type { StoredRelease } from './state/records.ts';

/**
 * Of the newest release per service targeting a host, those above what the agent already knows.
 * Only the newest: an agent that was offline skips straight to it. Pure.
 */
export function releasesToHand(
  latest: readonly StoredRelease[],
  known: Readonly<Record<string, number>>,
): StoredRelease[] {
  return latest.filter((release) => release.sequence > (known[release.service] ?? 0));
}
