import { join } from 'node:path';
import { loadDeployConfig, type DeployConfig } from '../../shared/config/deploy-config.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import { hostEntry, readHostBook } from '../hosts/host-book.ts';
import { AgentClient } from '../client/agent-client.ts';
import { BerthError } from '../../shared/errors.ts';
import type { CliContext } from '../cli-context.ts';

export const DEFAULT_CONFIG_PATH = 'config/deploy.yml';

/** What every fleet command needs: the config, and a client per target host. */
export interface FleetSession {
  config: DeployConfig;
  operator: string;
  clients: AgentClient[];
  close(): Promise<void>;
}

/** Every host the config names, across roles, in first-seen order. */
export function hostsOf(config: DeployConfig): string[] {
  return [...new Set(Object.values(config.servers).flatMap((role) => role.hosts))];
}

export async function openFleetSession(
  context: CliContext,
  options: { configPath?: string; hosts?: string[] },
): Promise<FleetSession> {
  const config = await loadDeployConfig(
    join(context.cwd, options.configPath ?? DEFAULT_CONFIG_PATH),
  );
  const operator = operatorName(context.env);
  const key = await loadPrivateKey(context.env, 'operator');
  const book = await readHostBook(context.cwd);
  const all = hostsOf(config);
  const selected = options.hosts?.length ? options.hosts : all;
  for (const host of selected) {
    if (!all.includes(host))
      throw new BerthError('USAGE', `host "${host}" is not in config/deploy.yml servers`);
  }
  const clients = selected.map(
    (name) => new AgentClient(name, hostEntry(book, name), { ...key, subject: operator }),
  );
  return {
    config,
    operator,
    clients,
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}

/** Runs `task` against every host at once; returns per-host results, errors included. */
export async function onEveryHost<T>(
  clients: AgentClient[],
  task: (client: AgentClient) => Promise<T>,
): Promise<{ host: string; value?: T; error?: unknown }[]> {
  return Promise.all(
    clients.map(async (client) => {
      try {
        return { host: client.name, value: await task(client) };
      } catch (error) {
        return { host: client.name, error };
      }
    }),
  );
}
