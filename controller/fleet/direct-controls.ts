import type { AgentServiceControls } from '../../shared/api/agent-api.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import { isBerthError } from '../../shared/errors.ts';
import type { ControlAction } from '../../shared/manifest/control-schema.ts';
import type { CliContext } from '../cli-context.ts';
import { AgentClient } from '../client/agent-client.ts';
import { hostEntry, readHostBook } from '../hosts/host-book.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import type { HostControls } from './host-controls.ts';

/** The agent API call for an action. */
function callFor(client: AgentClient, service: string, action: ControlAction) {
  switch (action.action) {
    case 'maintenance-on':
      return client.setMaintenance(service, {
        on: true,
        ...(action.message === undefined ? {} : { message: action.message }),
      });
    case 'maintenance-off':
      return client.setMaintenance(service, { on: false });
    case 'pause':
      return client.pause(service, { maxPauseMs: action.maxPauseMs });
    case 'resume':
      return client.resume(service);
  }
}

/**
 * Direct mode: the action straight to each agent's API (hosts registered with
 * `berth hosts add`), with operator tokens. One result per host.
 */
export async function controlAgents(
  context: CliContext,
  config: DeployConfig,
  hosts: readonly string[],
  action: ControlAction,
): Promise<HostControls[]> {
  const book = await readHostBook(context.cwd);
  const key = await loadPrivateKey(context.env, 'operator');
  const operator = { ...key, subject: operatorName(context.env) };
  const clients = hosts.map((name) => new AgentClient(name, hostEntry(book, name), operator));
  try {
    return await Promise.all(
      clients.map(async (client): Promise<HostControls> => {
        try {
          const answer: AgentServiceControls = await callFor(client, config.service, action);
          return { host: client.name, ok: true, answer };
        } catch (error) {
          const message = isBerthError(error) ? `${error.code}: ${error.message}` : String(error);
          return { host: client.name, ok: false, error: message };
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}
