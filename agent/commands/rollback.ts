import { join } from 'node:path';
import { TERMINAL_STATES, type AgentDeployment } from '../../shared/api/agent-api.ts';
import { colour } from '../../shared/cli/colour.ts';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import {
  agentConfigPath,
  defaultDataDir,
  loadAgentConfig,
} from '../../shared/config/agent-config.ts';
import { BerthError, errorCatalog, type ErrorCode } from '../../shared/errors.ts';
import { LocalClient } from '../http/local-client.ts';
import { LOCAL_SOCKET_FILE_NAME } from '../http/local-server.ts';
import type { AgentCommand } from './agent-cli.ts';

const FOLLOW_WAIT_MS = 10_000;

const usage = `Usage: berth-agent rollback SERVICE [--to VERSION] [--data-dir DIR]

Returns SERVICE on this server to the previous release that went live here (or the newest
one of VERSION), from the agent's own store: works while the controller is down. No new
signature and no pull: the release was verified when it arrived and its stopped containers
are started again. The running agent carries it out; this follows its progress. Run as root.

Options:
  --to VERSION     the version to return to (default: the one before the live release)
  --data-dir DIR   the agent's data dir (default: ${defaultDataDir()})`;

export const rollbackCommand: AgentCommand = {
  name: 'rollback',
  summary: 'roll a service back on this server, without the controller',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        to: { type: 'string' },
        'data-dir': { type: 'string', default: process.env.BERTH_DATA_DIR ?? defaultDataDir() },
      },
      'berth-agent rollback',
      1,
    );
    const service = positionals[0];
    if (!service) {
      throw new BerthError('USAGE', 'berth-agent rollback: name the service to roll back', {
        hint: 'berth-agent rollback SERVICE [--to VERSION]',
      });
    }
    const config = await loadAgentConfig(agentConfigPath(values['data-dir']));
    const client = new LocalClient(join(config.dataDir, LOCAL_SOCKET_FILE_NAME));
    try {
      const { deployment, release } = await client.rollback(service, values.to);
      context.output.out(
        `Rolling ${service} back to ${release.version} (release ${release.sequence}) on ${config.name}\n`,
      );
      const outcome = await follow(client, deployment, config.name, context.output);
      if (outcome.state !== 'done') throw failure(service, release.version, outcome);
      return 0;
    } finally {
      await client.close();
    }
  },
};

/** Long-polls the deployment until it ends, printing `[host] step role  message` per event. */
async function follow(
  client: LocalClient,
  started: AgentDeployment,
  host: string,
  output: CliOutput,
): Promise<AgentDeployment> {
  let after = 0;
  for (;;) {
    const answer = await client.deployment(started.id, after, FOLLOW_WAIT_MS);
    const current = answer.deployment;
    for (const event of answer.events) {
      after = event.id;
      const role = event.role ? ` ${event.role}` : '';
      output.out(
        `${colour('cyan', `[${host}]`)} ${event.step.padEnd(11)}${role}  ${event.message}\n`,
      );
    }
    if (TERMINAL_STATES.includes(current.state) && answer.events.length === 0) return current;
  }
}

function failure(service: string, version: string, deployment: AgentDeployment): BerthError {
  const code = deployment.error?.code;
  return new BerthError(
    code && code in errorCatalog ? (code as ErrorCode) : 'DEPLOY_FAILED',
    `rollback of ${service} to ${version} ${deployment.state}: ${deployment.error?.message ?? 'no reason recorded'}`,
    {
      details: deployment.error?.details ?? [],
      hint: 'the release that was live keeps serving; see `journalctl -u berth-agent`',
    },
  );
}
