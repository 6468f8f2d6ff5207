import { BerthError } from '../../shared/errors.ts';
import { describeAction, type ControlAction } from '../../shared/manifest/control-schema.ts';
import type { CliContext } from '../cli-context.ts';
import { controlThroughController } from './controller-controls.ts';
import { controlAgents } from './direct-controls.ts';
import { renderControls } from './host-controls.ts';
import { hostsOf, loadAppConfig } from './open-fleet.ts';

/**
 * `berth maintenance|pause|resume`: the action on every (or each named) host of the app in the
 * current folder, through the transport `berth deploy` uses: a signed control via the controller
 * when config/deploy.yml names one, else straight to each agent's API. Prints a line per proxy
 * route (or JSON). Returns the exit code: 1 when any host failed; in pull mode it throws
 * CONTROL_INCOMPLETE naming the hosts that did not apply it.
 */
export async function sendServiceControl(
  context: CliContext,
  options: { configPath?: string; hosts?: string[]; json: boolean; waitMs: number },
  action: ControlAction,
): Promise<number> {
  const config = await loadAppConfig(context, options.configPath);
  const all = hostsOf(config);
  for (const host of options.hosts ?? []) {
    if (!all.includes(host)) {
      throw new BerthError('USAGE', `host "${host}" is not in config/deploy.yml servers`);
    }
  }
  const hosts = options.hosts?.length ? options.hosts : all;
  if (!config.controller) {
    const results = await controlAgents(context, config, hosts, action);
    context.output.out(
      options.json ? `${JSON.stringify({ hosts: results }, null, 2)}\n` : renderControls(results),
    );
    return results.every((result) => result.ok) ? 0 : 1;
  }
  const { control, results } = await controlThroughController(context, config, hosts, action, {
    json: options.json,
    waitMs: options.waitMs,
  });
  context.output.out(
    options.json
      ? `${JSON.stringify({ control, hosts: results }, null, 2)}\n`
      : renderControls(results),
  );
  const failed = results.filter((result) => !result.ok).map((result) => result.host);
  if (failed.length > 0) {
    throw new BerthError(
      'CONTROL_INCOMPLETE',
      `${config.service}: ${describeAction(action)} did not apply on ${failed.join(', ')}`,
      { hint: 'see the STATE column for why; `berth status` shows which hosts are online' },
    );
  }
  return 0;
}
