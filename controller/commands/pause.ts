import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { MAX_PAUSE_LIMIT_MS } from '../../shared/manifest/control-schema.ts';
import type { BerthCommand } from '../cli-context.ts';
import { sendServiceControl } from '../fleet/service-controls.ts';
import { controlTransportUsage, controlWaitMs } from './control-wait.ts';
import { splitList } from './deploy.ts';

const maxPauseLimitSeconds = MAX_PAUSE_LIMIT_MS / 1000;

const usage = `Usage: berth pause [--max-pause SECONDS] [--hosts a,b] [--timeout SECONDS] [--config PATH] [--json]

Every host's proxy holds new requests to the app (no error for the client) until
\`berth resume\`, for a short migration or restart. A request held longer than --max-pause
(default 30, at most ${maxPauseLimitSeconds}) gets 504. The health path is still answered 200.

${controlTransportUsage}`;

export const pauseCommand: BerthCommand = {
  name: 'pause',
  summary: 'hold new requests until `berth resume`',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        'max-pause': { type: 'string', default: '30' },
        hosts: { type: 'string' },
        timeout: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth pause',
    );
    const seconds = Number(values['max-pause']);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > maxPauseLimitSeconds) {
      throw new BerthError(
        'USAGE',
        `--max-pause must be 1..${maxPauseLimitSeconds} seconds, got "${values['max-pause']}"`,
      );
    }
    const maxPauseMs = Math.round(seconds * 1000);
    return sendServiceControl(
      context,
      {
        configPath: values.config,
        hosts: splitList(values.hosts),
        json: values.json,
        waitMs: controlWaitMs(values.timeout),
      },
      { action: 'pause', maxPauseMs },
    );
  },
};
