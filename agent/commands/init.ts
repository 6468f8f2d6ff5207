import { existsSync } from 'node:fs';
import { BerthError } from '../../shared/errors.ts';
import { parseOptions, requireOption } from '../../shared/cli/parse-options.ts';
import { agentConfigPath, defaultDataDir } from '../../shared/config/agent-config.ts';
import { formatPublicKey } from '../../shared/keys/index.ts';
import type { AgentCommand } from './agent-cli.ts';
import { createAgentIdentity, normalizeKeys, writeAgentSetup } from './agent-setup.ts';

const usage = `Usage: berth-agent init --name NAME [options]

Sets up this server's agent: data dir, identity keys, TLS certificate and config.
Prints the certificate fingerprint and the \`berth hosts add\` line to paste on your laptop.

Options:
  --name NAME                 agent name, as used in config/deploy.yml servers (required)
  --fleet NAME                fleet this agent belongs to (default: default)
  --data-dir DIR              where state, keys and config live (default: ${defaultDataDir()})
  --api-host HOST             API listen address (default: 0.0.0.0)
  --api-port PORT             API port (default: 7443)
  --public-url URL            URL operators reach the API at (default: https://127.0.0.1:PORT)
  --https-port PORT           proxy TLS port, 0 for none (default: 443)
  --http-port PORT            proxy port for app traffic (default: 80)
  --docker-network NAME       Docker network for app containers (default: berth)
  --trust-release-key KEY     public release key to trust (repeatable)
  --trust-operator-key KEY    public operator key to trust (repeatable)
  --force                     overwrite an existing setup`;

export const initCommand: AgentCommand = {
  name: 'init',
  summary: 'set up the agent on this server (keys, certificate, config)',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        name: { type: 'string' },
        fleet: { type: 'string', default: 'default' },
        'data-dir': { type: 'string', default: defaultDataDir() },
        'api-host': { type: 'string', default: '0.0.0.0' },
        'api-port': { type: 'string', default: '7443' },
        'public-url': { type: 'string' },
        'http-port': { type: 'string', default: '80' },
        'https-port': { type: 'string', default: '443' },
        'docker-network': { type: 'string', default: 'berth' },
        'trust-release-key': { type: 'string', multiple: true, default: [] },
        'trust-operator-key': { type: 'string', multiple: true, default: [] },
        force: { type: 'boolean', default: false },
      },
      'berth-agent init',
    );
    const name = requireOption(values.name, '--name', 'berth-agent init');
    const dataDir = values['data-dir'];
    const configPath = agentConfigPath(dataDir);
    if (existsSync(configPath) && !values.force) {
      throw new BerthError('USAGE', `an agent is already set up in ${dataDir}`, {
        hint: 'pass --force to replace it (keys change)',
      });
    }
    const apiPort = Number(values['api-port']);
    const identity = await createAgentIdentity(name);
    await writeAgentSetup(
      {
        name,
        fleet: values.fleet,
        dataDir,
        api: { host: values['api-host'], port: apiPort },
        httpPort: Number(values['http-port']),
        httpsPort: Number(values['https-port']),
        dockerNetwork: values['docker-network'],
        releaseKeys: normalizeKeys(values['trust-release-key']),
        operatorKeys: normalizeKeys(values['trust-operator-key']),
        overwrite: values.force,
      },
      identity,
    );
    const { certificate, signing } = identity;

    const url = values['public-url'] ?? `https://127.0.0.1:${apiPort}`;
    context.output.out(
      [
        `Agent ${name} (fleet ${values.fleet}) set up in ${dataDir}`,
        `  API URL:      ${url}`,
        `  fingerprint:  ${certificate.fingerprint}`,
        `  identity key: ${formatPublicKey(signing.publicJwk)}`,
        '',
        'On your laptop, in the app folder:',
        `  berth hosts add ${name} --url ${url} --fingerprint ${certificate.fingerprint}`,
        '',
        `Start it: berth-agent run --data-dir ${dataDir} (install.sh starts its systemd units itself)`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
