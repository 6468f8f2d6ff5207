import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import { sendServiceControl } from '../fleet/service-controls.ts';
import { controlTransportUsage, controlWaitMs } from './control-wait.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth resume [--hosts a,b] [--timeout SECONDS] [--config PATH] [--json]

Ends \`berth pause\`: held requests go on to the app (the current release), new ones too.

${controlTransportUsage}`;

export const resumeCommand: BerthCommand = {
  name: 'resume',
  summary: 'let requests held by `berth pause` go on',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        hosts: { type: 'string' },
        timeout: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth resume',
    );
    return sendServiceControl(
      context,
      {
        configPath: values.config,
        hosts: splitList(values.hosts),
        json: values.json,
        waitMs: controlWaitMs(values.timeout),
      },
      { action: 'resume' },
    );
  },
};
