import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import { readHostBook } from '../hosts/host-book.ts';
import { ago, renderTable } from '../output/table.ts';
import { openController } from '../fleet/open-controller.ts';

export const hostsListCommand: BerthCommand = {
  name: 'hosts list',
  summary: 'list registered agents',
  usage: 'Usage: berth hosts list [--json]',
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      { json: { type: 'boolean', default: false } },
      'berth hosts list',
    );
    const controller = await openController(context);
    if (controller) {
      try {
        const { hosts } = await controller.hosts();
        if (values.json) context.output.out(`${JSON.stringify({ hosts }, null, 2)}\n`);
        else {
          const now = new Date();
          const rows = hosts.map((h) => [
            h.name,
            h.state,
            ago(h.joinedAt, now),
            ago(h.lastSeenAt, now),
          ]);
          context.output.out(renderTable(['NAME', 'STATE', 'JOINED', 'LAST SEEN'], rows));
        }
        return 0;
      } finally {
        await controller.close();
      }
    }
    const hosts = await readHostBook(context.cwd);
    if (values.json) {
      context.output.out(`${JSON.stringify({ hosts }, null, 2)}\n`);
    } else {
      const rows = Object.entries(hosts).map(([name, h]) => [
        name,
        h.url,
        `${h.fingerprint.slice(0, 23)}…`,
      ]);
      context.output.out(renderTable(['NAME', 'URL', 'FINGERPRINT'], rows));
    }
    return 0;
  },
};
