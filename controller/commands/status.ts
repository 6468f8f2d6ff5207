import { parseOptions } from '../../shared/cli/parse-options.ts';
import { isBerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import { onEveryHost, openFleetSession } from '../releases/fleet-session.ts';
import { ago, renderTable } from '../output/table.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth status [--hosts a,b] [--config PATH] [--json]

Per host and role: the live version, the latest deployment's state, container health, since when.
Exits 1 when a host does not answer.`;

export const statusCommand: BerthCommand = {
  name: 'status',
  summary: 'what runs where, per host and role',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        hosts: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth status',
    );
    const session = await openFleetSession(context, {
      configPath: values.config,
      hosts: splitList(values.hosts),
    });
    try {
      const service = session.config.service;
      const results = await onEveryHost(session.clients, (client) => client.status());
      const hosts = results.map((r) => ({
        host: r.host,
        reachable: !r.error,
        error: r.error ? (isBerthError(r.error) ? r.error.message : String(r.error)) : null,
        roles: (r.value?.services ?? []).filter((s) => s.service === service),
      }));
      if (values.json) {
        context.output.out(`${JSON.stringify({ service, hosts }, null, 2)}\n`);
      } else {
        const now = new Date();
        const rows = hosts.flatMap((h) =>
          h.reachable
            ? h.roles.length
              ? h.roles.map((r) => [
                  h.host,
                  r.role,
                  r.version ?? '-',
                  r.state,
                  r.health,
                  ago(r.since, now),
                ])
              : [[h.host, '-', '-', 'none', '-', '-']]
            : [[h.host, '-', '-', 'unreachable', '-', h.error ?? '']],
        );
        context.output.out(
          renderTable(['HOST', 'ROLE', 'VERSION', 'STATE', 'HEALTH', 'SINCE'], rows),
        );
      }
      return hosts.every((h) => h.reachable) ? 0 : 1;
    } finally {
      await session.close();
    }
  },
};
