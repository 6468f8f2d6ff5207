import type { ControlHistoryEntry, ControlHostResult } from '../../shared/api/controller-api.ts';
import type { ControlHostState, StoredControl } from './state/control-table.ts';

/** Operators' view of a control: each target's result, `expired` for one still pending too late. Pure. */
export function controlEntry(
  control: StoredControl,
  hosts: readonly ControlHostState[],
  now: Date,
): ControlHistoryEntry {
  const expired = now.getTime() >= Date.parse(control.expiresAt);
  const results: Record<string, ControlHostResult> = {};
  let settled = 0;
  for (const { host, state, ...rest } of hosts) {
    if (state !== 'pending') settled += 1;
    results[host] = { state: state === 'pending' && expired ? 'expired' : state, ...rest };
  }
  return { ...control, hosts: results, settled };
}

/** Of the controls pending for a host, those above what the agent has decided on. Pure. */
export function controlsToHand(
  pending: readonly StoredControl[],
  known: Readonly<Record<string, number>>,
): StoredControl[] {
  return pending.filter((control) => control.sequence > (known[control.service] ?? 0));
}
