import { join } from 'node:path';
import { BerthError } from '../../shared/errors.ts';
import {
  DEFAULT_DEPLOY_CONFIG_PATH,
  loadDeployConfig,
  type DeployConfig,
} from '../../shared/config/deploy-config.ts';
import type { CliContext } from '../cli-context.ts';
import { AgentClient } from '../client/agent-client.ts';
import { ControllerClient } from '../client/controller-client.ts';
import { hostEntry, readHostBook } from '../hosts/host-book.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import { ControllerFleet } from './controller-fleet.ts';
import { DirectFleet } from './direct-fleet.ts';
import type { Fleet } from './fleet.ts';

/** How long `berth deploy` follows a pull-mode release before giving up on slow hosts. */
export const DEFAULT_FOLLOW_TIMEOUT_MS = 15 * 60_000;

/** Every host the config names, across roles, in first-seen order. */
export function hostsOf(config: DeployConfig): string[] {
  return [...new Set(Object.values(config.servers).flatMap((role) => role.hosts))];
}

export async function loadAppConfig(
  context: CliContext,
  configPath: string | undefined,
): Promise<DeployConfig> {
  return loadDeployConfig(join(context.cwd, configPath ?? DEFAULT_DEPLOY_CONFIG_PATH));
}

/**
 * The fleet of the app in the current folder: through the controller when config/deploy.yml
 * names one, else straight to the agents registered in .berth/hosts.json.
 */
export async function openFleet(
  context: CliContext,
  options: { configPath?: string; hosts?: string[]; followTimeoutMs?: number },
): Promise<Fleet> {
  const config = await loadAppConfig(context, options.configPath);
  const operator = operatorName(context.env);
  const key = await loadPrivateKey(context.env, 'operator');
  const all = hostsOf(config);
  for (const host of options.hosts ?? []) {
    if (!all.includes(host))
      throw new BerthError('USAGE', `host "${host}" is not in config/deploy.yml servers`);
  }
  if (config.controller) {
    if (options.hosts?.length) {
      throw new BerthError(
        'USAGE',
        '--hosts is for direct mode; through a controller every target host gets the release',
      );
    }
    const client = new ControllerClient(config.controller, { ...key, subject: operator });
    return new ControllerFleet(config, operator, client, {
      cwd: context.cwd,
      timeoutMs: options.followTimeoutMs ?? DEFAULT_FOLLOW_TIMEOUT_MS,
    });
  }
  const book = await readHostBook(context.cwd);
  const selected = options.hosts?.length ? options.hosts : all;
  const clients = selected.map(
    (name) => new AgentClient(name, hostEntry(book, name), { ...key, subject: operator }),
  );
  return new DirectFleet(config, operator, clients);
}
