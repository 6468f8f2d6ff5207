import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../shared/errors.ts';
import { parseOptions, requireOption } from '../../shared/cli/parse-options.ts';
import {
  agentConfigPath,
  defaultDataDir,
  writeAgentConfig,
} from '../../shared/config/agent-config.ts';
import {
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  parsePublicKey,
  writeKeyFile,
} from '../../shared/keys/index.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';
import type { AgentCommand } from './agent-cli.ts';

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
    const releaseKeys = values['trust-release-key'].map((k) => formatPublicKey(parsePublicKey(k)));
    const operatorKeys = values['trust-operator-key'].map((k) =>
      formatPublicKey(parsePublicKey(k)),
    );
    const apiPort = Number(values['api-port']);

    await mkdir(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    const signing = await generateSigningKey();
    const encryption = await generateEncryptionKey();
    const signingKeyPath = join(dataDir, 'keys', 'identity-signing.jwk');
    const encryptionKeyPath = join(dataDir, 'keys', 'identity-encryption.jwk');
    await writeKeyFile(signingKeyPath, signing.privateJwk);
    await writeKeyFile(encryptionKeyPath, encryption.privateJwk);

    const certificate = await createSelfSignedCertificate({ commonName: `berth-agent ${name}` });
    const certPath = join(dataDir, 'keys', 'api-cert.pem');
    const keyPath = join(dataDir, 'keys', 'api-key.pem');
    await writeFile(certPath, certificate.certPem, { mode: 0o644 });
    await writeFile(keyPath, certificate.keyPem, { mode: 0o600 });

    await writeAgentConfig(configPath, {
      name,
      fleet: values.fleet,
      dataDir,
      api: { host: values['api-host'], port: apiPort },
      proxy: { httpPort: Number(values['http-port']) },
      docker: { network: values['docker-network'] },
      trust: { releaseKeys, operatorKeys },
      tls: { certPath, keyPath },
      identity: { signingKeyPath, encryptionKeyPath },
    });

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
        `Then start it: berth-agent run --data-dir ${dataDir}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
