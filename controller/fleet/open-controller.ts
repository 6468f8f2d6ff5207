import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DEPLOY_CONFIG_PATH, loadDeployConfig } from '../../shared/config/deploy-config.ts';
import type { CliContext } from '../cli-context.ts';
import { ControllerClient } from '../client/controller-client.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';

/** The controller client when config/deploy.yml names a controller; null in direct mode or without a config. */
export async function openController(
  context: CliContext,
  configPath?: string,
): Promise<ControllerClient | null> {
  const path = join(context.cwd, configPath ?? DEFAULT_DEPLOY_CONFIG_PATH);
  if (!existsSync(path)) return null;
  const config = await loadDeployConfig(path);
  if (!config.controller) return null;
  const key = await loadPrivateKey(context.env, 'operator');
  return new ControllerClient(config.controller, { ...key, subject: operatorName(context.env) });
}
