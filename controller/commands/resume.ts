import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import { changeServiceControls } from '../fleet/service-controls.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth resume [--hosts a,b] [--config PATH] [--json]

Ends \`berth pause\`: held requests go on to the app (the current release), new ones too.`;

export const resumeCommand: BerthCommand = {
  name: 'resume',
  summary: 'let requests held by `berth pause` go on',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        hosts: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth resume',
    );
    return changeServiceControls(
      context,
      { configPath: values.config, hosts: splitList(values.hosts), json: values.json },
      (client, service) => client.resume(service),
    );
  },
};
