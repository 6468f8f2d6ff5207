import type { AgentServiceControls } from '../../shared/api/agent-api.ts';
import { renderTable } from '../output/table.ts';

/** One host's answer to a maintenance, pause or resume command. */
export type HostControls =
  | { host: string; ok: true; answer: AgentServiceControls }
  | { host: string; ok: false; error: string };

/** A row per host and proxy route: what state the route is in now. */
export function renderControls(results: HostControls[]): string {
  const rows = results.flatMap((result): string[][] => {
    if (!result.ok) return [[result.host, '-', `failed: ${result.error}`]];
    if (result.answer.routes.length === 0) return [[result.host, '-', 'no proxied roles here']];
    return result.answer.routes.map((route) => [result.host, route.route, describe(route)]);
  });
  return renderTable(['HOST', 'ROUTE', 'STATE'], rows);
}

function describe(route: AgentServiceControls['routes'][number]): string {
  if (route.maintenance !== null) {
    const { message } = route.maintenance;
    return message === '' ? 'maintenance' : `maintenance: ${message}`;
  }
  if (route.pause !== null) return `paused (max ${route.pause.maxPauseMs / 1000} s)`;
  return 'live';
}
