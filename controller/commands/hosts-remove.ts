import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import { openController } from '../fleet/open-controller.ts';
import { hostEntry, readHostBook, writeHostBook } from '../hosts/host-book.ts';

export const hostsRemoveCommand: BerthCommand = {
  name: 'hosts remove',
  summary: 'forget a registered agent',
  usage:
    'Usage: berth hosts remove NAME\n\nThrough a controller: revokes the host (its polls are refused). Direct: forgets it.',
  async run(argv, context) {
    const { positionals } = parseOptions(argv, {}, 'berth hosts remove', 1);
    const name = positionals[0];
    if (!name)
      throw new BerthError('USAGE', 'berth hosts remove: give the host NAME', {
        hint: 'see `berth hosts list`',
      });
    const controller = await openController(context);
    if (controller) {
      try {
        const { revokedAt } = await controller.removeHost(name);
        context.output.out(`Revoked ${name} at ${revokedAt}; its polls are refused from now on\n`);
        return 0;
      } finally {
        await controller.close();
      }
    }
    const hosts = await readHostBook(context.cwd);
    hostEntry(hosts, name);
    delete hosts[name];
    await writeHostBook(context.cwd, hosts);
    context.output.out(`Removed ${name}\n`);
    return 0;
  },
};
