import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { ControlAction } from '../../shared/manifest/control-schema.ts';
import type { BerthCommand } from '../cli-context.ts';
import { sendServiceControl } from '../fleet/service-controls.ts';
import { controlTransportUsage, controlWaitMs } from './control-wait.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth maintenance on|off [--message TEXT] [--hosts a,b] [--timeout SECONDS] [--config PATH] [--json]

on: every host's proxy answers the app's requests with a 503 maintenance page (showing
--message, HTML-escaped), except GET/HEAD to the health path, which it answers 200 itself so
an outer load balancer keeps the host. off: the app answers again. Survives proxy restarts.

${controlTransportUsage}`;

export const maintenanceCommand: BerthCommand = {
  name: 'maintenance',
  summary: 'show a maintenance page instead of the app (on|off)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        message: { type: 'string' },
        hosts: { type: 'string' },
        timeout: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth maintenance',
      1,
    );
    const mode = positionals[0];
    if (mode !== 'on' && mode !== 'off') {
      throw new BerthError('USAGE', 'berth maintenance needs on or off', {
        hint: 'berth maintenance on --message "Back at 5 pm"',
      });
    }
    if (mode === 'off' && values.message !== undefined) {
      throw new BerthError('USAGE', '--message goes with `berth maintenance on`');
    }
    const action: ControlAction =
      mode === 'on'
        ? {
            action: 'maintenance-on',
            ...(values.message === undefined ? {} : { message: values.message }),
          }
        : { action: 'maintenance-off' };
    return sendServiceControl(
      context,
      {
        configPath: values.config,
        hosts: splitList(values.hosts),
        json: values.json,
        waitMs: controlWaitMs(values.timeout),
      },
      action,
    );
  },
};
