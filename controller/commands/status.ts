import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import type { HostView } from '../fleet/fleet.ts';
import { openFleet } from '../fleet/open-fleet.ts';
import { ago, renderTable } from '../output/table.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth status [--hosts a,b] [--config PATH] [--json] [--watch]

Per host and role: the live version, the latest deployment's state, container health, since
when. A running canary has its own row per role (state "canary", with its share of clients). Through a controller also whether each host is online and fresh (reached the controller
recently). Exits 1 when a host is unreachable or stale. --watch redraws every 2 s until Ctrl-C.`;

const WATCH_INTERVAL_MS = 2_000;

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
        watch: { type: 'boolean', default: false },
      },
      'berth status',
    );
    const fleet = await openFleet(context, {
      configPath: values.config,
      hosts: splitList(values.hosts),
    });
    try {
      for (;;) {
        const hosts = await fleet.status();
        if (values.json) {
          context.output.out(
            `${JSON.stringify({ service: fleet.config.service, mode: fleet.mode, hosts }, null, 2)}\n`,
          );
        } else {
          if (values.watch) context.output.out('\u001b[2J\u001b[H');
          context.output.out(renderStatus(hosts, fleet.mode === 'controller', new Date()));
        }
        if (!values.watch) return hosts.every((h) => h.reachable && h.fresh !== false) ? 0 : 1;
        await sleep(WATCH_INTERVAL_MS);
      }
    } finally {
      await fleet.close();
    }
  },
};

export function renderStatus(hosts: HostView[], throughController: boolean, now: Date): string {
  const rows = hosts.flatMap((h) => {
    const seen = throughController
      ? [
          h.online ? 'online' : 'offline',
          `${h.fresh ? 'fresh' : 'stale'} (${ago(h.lastSeenAt, now)})`,
        ]
      : [];
    if (!h.reachable && !throughController)
      return [[h.host, ...seen, '-', '-', 'unreachable', '-', h.error ?? '']];
    if (!h.roles.length) return [[h.host, ...seen, '-', '-', 'none', '-', '-']];
    return h.roles.map((r) => [
      h.host,
      ...seen,
      r.role,
      r.version ?? '-',
      r.canaryPercent ? `${r.state} ${r.canaryPercent}%` : r.state,
      r.health,
      ago(r.since, now),
    ]);
  });
  const seenHeaders = throughController ? ['AGENT', 'LAST SEEN'] : [];
  return renderTable(['HOST', ...seenHeaders, 'ROLE', 'VERSION', 'STATE', 'HEALTH', 'SINCE'], rows);
}
