import type { ControlHistoryEntry } from '../../shared/api/controller-api.ts';
import type { HostControls } from './host-controls.ts';

/**
 * Each target's result of a control followed through the controller: applied (with its routes),
 * refused (with the agent's reason), or why it is not known to have applied. Pure.
 */
export function controlOutcomes(
  entry: ControlHistoryEntry,
  offline: ReadonlySet<string>,
  waitedMs: number,
): HostControls[] {
  return Object.entries(entry.hosts).map(([host, result]): HostControls => {
    switch (result.state) {
      case 'applied':
        return { host, ok: true, answer: { host, service: entry.service, routes: result.routes } };
      case 'refused': {
        const reason = result.error ? `${result.error.code}: ${result.error.message}` : 'refused';
        return { host, ok: false, error: `refused: ${reason}` };
      }
      case 'expired':
        return {
          host,
          ok: false,
          error: `the control expired (${entry.expiresAt}) before ${host} fetched it`,
        };
      case 'pending':
        return {
          host,
          ok: false,
          error: offline.has(host)
            ? `offline; it applies the control when it reconnects, if before ${entry.expiresAt}`
            : `no answer within ${Math.round(waitedMs / 1000)} s; it may still apply it until ${entry.expiresAt}`,
        };
    }
  });
}
