import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import { onEveryHost, openFleetSession } from '../releases/fleet-session.ts';
import { ago, renderTable } from '../output/table.ts';

const usage = `Usage: berth releases [--limit N] [--config PATH] [--json]

The service's release history, newest first: sequence, version, image digest, who
published it, and its outcome on each host.`;

export const releasesCommand: BerthCommand = {
  name: 'releases',
  summary: 'release history with per-host outcome',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        limit: { type: 'string', default: '20' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth releases',
    );
    const session = await openFleetSession(context, { configPath: values.config });
    try {
      const results = await onEveryHost(session.clients, (c) =>
        c.releases(session.config.service, Number(values.limit) || 20),
      );
      const bySequence = new Map<
        number,
        {
          version: string;
          image: string;
          issuedBy: string;
          issuedAt: string;
          rollbackOf: number | null;
          hosts: Record<string, string>;
        }
      >();
      for (const result of results) {
        for (const r of result.value?.releases ?? []) {
          const entry = bySequence.get(r.sequence) ?? {
            version: r.version,
            image: r.image,
            issuedBy: r.issuedBy,
            issuedAt: r.issuedAt,
            rollbackOf: r.rollbackOf,
            hosts: {},
          };
          entry.hosts[result.host] = r.live ? 'live' : r.state;
          bySequence.set(r.sequence, entry);
        }
      }
      const releases = [...bySequence.entries()]
        .sort(([a], [b]) => b - a)
        .map(([sequence, r]) => ({ sequence, ...r }));
      if (values.json) {
        context.output.out(
          `${JSON.stringify({ service: session.config.service, releases, unreachable: results.filter((r) => r.error).map((r) => r.host) }, null, 2)}\n`,
        );
        return 0;
      }
      const now = new Date();
      const rows = releases.map((r) => [
        String(r.sequence),
        r.rollbackOf ? `${r.version} (rollback)` : r.version,
        r.image.split('@')[1]?.slice(0, 19) ?? r.image,
        r.issuedBy,
        ago(r.issuedAt, now),
        Object.entries(r.hosts)
          .map(([h, s]) => `${h}:${s}`)
          .join(' '),
      ]);
      context.output.out(
        renderTable(['SEQUENCE', 'VERSION', 'IMAGE', 'BY', 'ISSUED', 'HOSTS'], rows),
      );
      for (const r of results.filter((x) => x.error))
        context.output.err(`${r.host}: unreachable\n`);
      return 0;
    } finally {
      await session.close();
    }
  },
};
