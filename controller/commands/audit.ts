import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import { openController } from '../fleet/open-controller.ts';
import { renderTable } from '../output/table.ts';

export const auditCommand: BerthCommand = {
  name: 'audit',
  summary: "the controller's audit log: who published, added, removed, logged in",
  usage: 'Usage: berth audit [--limit N] [--json]\n\nNeeds `controller:` in config/deploy.yml.',
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      { limit: { type: 'string', default: '50' }, json: { type: 'boolean', default: false } },
      'berth audit',
    );
    const controller = await openController(context);
    if (!controller) {
      throw new BerthError('USAGE', 'berth audit: there is no controller in config/deploy.yml', {
        hint: 'the audit log lives on the controller (pull mode); see docs/pull-mode.md',
      });
    }
    try {
      const { entries } = await controller.audit(Number(values.limit) || 50);
      if (values.json) context.output.out(`${JSON.stringify({ entries }, null, 2)}\n`);
      else
        context.output.out(
          renderTable(
            ['AT', 'WHO', 'ACTION', 'DETAIL'],
            entries.map((e) => [e.at, e.actor, e.action, e.detail]),
          ),
        );
      return 0;
    } finally {
      await controller.close();
    }
  },
};
