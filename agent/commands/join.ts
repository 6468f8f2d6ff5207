import { existsSync } from 'node:fs';
import { access, constants, mkdir, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { JoinRequest } from '../../shared/api/controller-api.ts';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { agentConfigPath, defaultDataDir } from '../../shared/config/agent-config.ts';
import { BerthError } from '../../shared/errors.ts';
import { decodeJoinToken, type JoinToken } from '../../shared/join-token.ts';
import { formatPublicKey } from '../../shared/keys/index.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { callController, ControllerCallError } from '../puller/controller-call.ts';
import type { AgentCommand } from './agent-cli.ts';
import {
  checkAgentSetup,
  createAgentIdentity,
  normalizeKeys,
  writeAgentSetup,
  type AgentIdentity,
  type AgentSetup,
} from './agent-setup.ts';

const JOIN_TIMEOUT_MS = 30_000;
const joinAnswer = z.object({ name: z.string(), fleet: z.string(), controllerName: z.string() });

const usage = `Usage: berth-agent join TOKEN [options]

Joins this server to a controller (pull mode) with the token \`berth hosts add NAME\` printed.
Generates this agent's keys here (private halves never leave the server), registers the
public halves with the controller, and writes the config. No inbound port is needed: the
agent polls the controller for signed releases.

Options:
  --data-dir DIR          where state, keys and config live (default: ${defaultDataDir()})
  --api-host HOST         local API listen address (default: 127.0.0.1)
  --api-port PORT         local API port (default: 7443)
  --https-port PORT       proxy TLS port, 0 for none (default: 443)
  --http-port PORT        proxy port for app traffic (default: 80)
  --docker-network NAME   Docker network for app containers (default: berth)`;

export const joinCommand: AgentCommand = {
  name: 'join',
  summary: 'join a controller with a join token (pull mode)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        'data-dir': { type: 'string', default: defaultDataDir() },
        'api-host': { type: 'string', default: '127.0.0.1' },
        'api-port': { type: 'string', default: '7443' },
        'http-port': { type: 'string', default: '80' },
        'https-port': { type: 'string', default: '443' },
        'docker-network': { type: 'string', default: 'berth' },
      },
      'berth-agent join',
      1,
    );
    const text = positionals[0];
    if (!text) {
      throw new BerthError('USAGE', 'berth-agent join: the join token is required', {
        hint: 'paste the token `berth hosts add NAME` printed: berth-agent join berth-join-1.…',
      });
    }
    const token = decodeJoinToken(text);
    const dataDir = resolve(values['data-dir']);
    assertUsable(token, dataDir, new Date());
    const apiPort = Number(values['api-port']);
    const setup: AgentSetup = {
      name: token.name,
      fleet: token.fleet,
      dataDir,
      api: { host: values['api-host'], port: apiPort },
      httpPort: Number(values['http-port']),
      httpsPort: Number(values['https-port']),
      dockerNetwork: values['docker-network'],
      releaseKeys: normalizeKeys(token.releaseKeys),
      operatorKeys: [],
      controller: { url: token.url, fingerprint: token.fingerprint, name: token.controllerName },
    };
    // Before the one-time token is spent: a setup that cannot be written must fail here.
    checkAgentSetup(setup);

    const createdDataDir = !existsSync(dataDir);
    const identity = await createAgentIdentity(token.name);
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      await access(dataDir, constants.W_OK);
      await joinController(token, identity);
    } catch (error) {
      if (createdDataDir) await rmdir(dataDir).catch(() => undefined);
      throw error;
    }

    try {
      await writeAgentSetup(setup, identity);
    } catch (error) {
      if (createdDataDir) await rmdir(dataDir).catch(() => undefined);
      throw new BerthError(
        'INTERNAL',
        `joined ${token.controllerName}, but writing the setup into ${dataDir} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          hint: `the token is used up; on the controller side run \`berth hosts remove ${token.name}\` and \`berth hosts add ${token.name}\` for a new one`,
        },
      );
    }

    context.output.out(
      [
        `Joined controller ${token.controllerName} (${token.url}) as ${token.name}, fleet ${token.fleet}`,
        `  data dir:       ${dataDir}`,
        `  identity key:   ${formatPublicKey(identity.signing.publicJwk)}`,
        `  encryption key: ${formatPublicKey(identity.encryption.publicJwk)}`,
        `  release keys:   ${setup.releaseKeys.length} trusted`,
        `  local API:      https://${values['api-host']}:${apiPort} (pull mode needs no inbound port)`,
        '',
        `Start it: berth-agent run --data-dir ${dataDir} (install.sh starts its systemd units itself)`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

/** Refuses, before anything is written or sent, a token past its expiry or a data dir already set up. */
function assertUsable(token: JoinToken, dataDir: string, now: Date): void {
  if (Date.parse(token.expiresAt) <= now.getTime()) {
    throw new BerthError('USAGE', `the join token expired at ${token.expiresAt}`, {
      hint: `ask for a new one: \`berth hosts add ${token.name}\` on the controller side`,
    });
  }
  if (existsSync(agentConfigPath(dataDir))) {
    throw new BerthError('USAGE', `an agent is already set up in ${dataDir}`, {
      hint: 'join with another --data-dir, or remove that one first',
    });
  }
}

/** POST /v1/join over TLS pinned to the token's fingerprint; a refusal names the controller's reason. */
async function joinController(token: JoinToken, identity: AgentIdentity): Promise<void> {
  const body: JoinRequest = {
    secret: token.secret,
    name: token.name,
    signingPublicKey: formatPublicKey(identity.signing.publicJwk),
    encryptionPublicKey: formatPublicKey(identity.encryption.publicJwk),
  };
  const dispatcher = pinnedAgent(token.fingerprint);
  let answer: unknown;
  try {
    answer = await callController(token.url, dispatcher, {
      method: 'POST',
      path: '/v1/join',
      body,
      timeoutMs: JOIN_TIMEOUT_MS,
    });
  } catch (error) {
    if (error instanceof ControllerCallError && error.remote) {
      throw new BerthError(
        error.code,
        `controller ${token.controllerName} refused the join: ${error.remote.code ?? `HTTP ${error.httpStatus}`}: ${error.remote.message}`,
        { hint: error.hint ?? `ask for a new token: \`berth hosts add ${token.name}\`` },
      );
    }
    throw error;
  } finally {
    await dispatcher.close();
  }
  const parsed = joinAnswer.safeParse(answer);
  if (!parsed.success || parsed.data.name !== token.name || parsed.data.fleet !== token.fleet) {
    throw new BerthError(
      'INTERNAL',
      `controller ${token.controllerName} answered the join with another name or fleet than the token's`,
    );
  }
}
