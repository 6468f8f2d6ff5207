import type { AgentServiceControls } from '../../shared/api/agent-api.ts';
import { BerthError, isBerthError } from '../../shared/errors.ts';
import type { CliContext } from '../cli-context.ts';
import { AgentClient } from '../client/agent-client.ts';
import { hostEntry, readHostBook } from '../hosts/host-book.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import { renderTable } from '../output/table.ts';
import { hostsOf, loadAppConfig } from './open-fleet.ts';

/** One host's answer to a maintenance, pause or resume call. */
export type HostControls =
  | { host: string; ok: true; answer: AgentServiceControls }
  | { host: string; ok: false; error: string };

/**
 * Runs `change` against every host of the app in the current folder, straight to each agent
 * (registered with `berth hosts add`, as in direct mode), and prints a line per proxy route.
 * Returns the exit code: 1 when any host failed.
 */
export async function changeServiceControls(
  context: CliContext,
  options: { configPath?: string; hosts?: string[]; json: boolean },
  change: (client: AgentClient, service: string) => Promise<AgentServiceControls>,
): Promise<number> {
  const config = await loadAppConfig(context, options.configPath);
  const all = hostsOf(config);
  for (const host of options.hosts ?? []) {
    if (!all.includes(host)) {
      throw new BerthError('USAGE', `host "${host}" is not in config/deploy.yml servers`);
    }
  }
  const book = await readHostBook(context.cwd);
  const key = await loadPrivateKey(context.env, 'operator');
  const operator = { ...key, subject: operatorName(context.env) };
  const selected = options.hosts?.length ? options.hosts : all;
  const clients = selected.map((name) => new AgentClient(name, hostEntry(book, name), operator));
  try {
    const results = await Promise.all(
      clients.map(async (client): Promise<HostControls> => {
        try {
          return { host: client.name, ok: true, answer: await change(client, config.service) };
        } catch (error) {
          const message = isBerthError(error) ? `${error.code}: ${error.message}` : String(error);
          return { host: client.name, ok: false, error: message };
        }
      }),
    );
    context.output.out(
      options.json ? `${JSON.stringify({ hosts: results }, null, 2)}\n` : renderControls(results),
    );
    return results.every((result) => result.ok) ? 0 : 1;
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

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
