import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import {
  controllerConfigPath,
  DEFAULT_CONTROLLER_API_HOST,
  DEFAULT_CONTROLLER_API_PORT,
  DEFAULT_CONTROLLER_NAME,
  defaultControllerDataDir,
  writeControllerConfig,
} from '../../shared/config/controller-config.ts';
import { BerthError } from '../../shared/errors.ts';
import { formatPublicKey, parsePublicKey } from '../../shared/keys/index.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';
import type { BerthCommand } from '../cli-context.ts';

const usage = `Usage: berth controller init --trust-release-key KEY --trust-operator-key KEY [options]

Sets up a controller server: data dir, config and a self-signed TLS certificate.
Prints the \`controller:\` block to paste into config/deploy.yml.

Options:
  --data-dir DIR              where the database, certificate and config live
                              (default: $BERTH_CONTROLLER_DATA_DIR, /var/lib/berth-controller as root,
                              else ~/.local/share/berth-controller)
  --name NAME                 controller name, the audience of tokens (default: controller)
  --fleet NAME                fleet it serves (default: default)
  --api-host HOST             listen address (default: 0.0.0.0)
  --api-port PORT             port (default: 7600)
  --public-url URL            URL agents and operators reach it at (default: https://127.0.0.1:PORT)
  --trust-release-key KEY     public release key to accept releases from (repeatable, required)
  --trust-operator-key KEY    public operator key to accept API calls from (repeatable, required)
  --force                     overwrite an existing setup (the certificate changes)`;

function portOf(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BerthError(
      'USAGE',
      `berth controller init: --api-port must be 0 to 65535, not "${text}"`,
    );
  }
  return port;
}

function requireKeys(keys: string[], flag: string): string[] {
  if (keys.length === 0) {
    throw new BerthError('USAGE', `berth controller init: ${flag} is required`, {
      hint: 'run `berth keys generate` on your laptop; it prints both public keys',
    });
  }
  return keys.map((key) => formatPublicKey(parsePublicKey(key, 'Ed25519')));
}

/** The certificate's names: localhost and 127.0.0.1, plus the public URL's host. */
function certificateNames(publicUrl: string): { dnsNames: string[]; ipAddresses: string[] } {
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
  const dnsNames = new Set(['localhost']);
  const ipAddresses = new Set(['127.0.0.1']);
  if (isIP(host)) ipAddresses.add(host);
  else dnsNames.add(host);
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

export const controllerInitCommand: BerthCommand = {
  name: 'controller init',
  summary: 'set up a controller server (config, TLS certificate)',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        'data-dir': { type: 'string', default: defaultControllerDataDir(context.env) },
        name: { type: 'string', default: DEFAULT_CONTROLLER_NAME },
        fleet: { type: 'string', default: 'default' },
        'api-host': { type: 'string', default: DEFAULT_CONTROLLER_API_HOST },
        'api-port': { type: 'string', default: String(DEFAULT_CONTROLLER_API_PORT) },
        'public-url': { type: 'string' },
        'trust-release-key': { type: 'string', multiple: true, default: [] },
        'trust-operator-key': { type: 'string', multiple: true, default: [] },
        force: { type: 'boolean', default: false },
      },
      'berth controller init',
    );
    const dataDir = values['data-dir'];
    const configPath = controllerConfigPath(dataDir);
    if (existsSync(configPath) && !values.force) {
      throw new BerthError('USAGE', `a controller is already set up in ${dataDir}`, {
        hint: 'pass --force to replace it (its certificate fingerprint changes)',
      });
    }
    const releaseKeys = requireKeys(values['trust-release-key'], '--trust-release-key');
    const operatorKeys = requireKeys(values['trust-operator-key'], '--trust-operator-key');
    const port = portOf(values['api-port']);
    const publicUrl = values['public-url'] ?? `https://127.0.0.1:${port}`;

    const certificate = await createSelfSignedCertificate({
      commonName: `berth-controller ${values.name}`,
      ...certificateNames(publicUrl),
    });
    const certPath = join(dataDir, 'tls', 'cert.pem');
    const keyPath = join(dataDir, 'tls', 'key.pem');
    await mkdir(join(dataDir, 'tls'), { recursive: true, mode: 0o700 });
    await writeFile(certPath, certificate.certPem, { mode: 0o644 });
    await writeFile(keyPath, certificate.keyPem, { mode: 0o600 });

    const config = await writeControllerConfig(configPath, {
      name: values.name,
      fleet: values.fleet,
      dataDir,
      api: { host: values['api-host'], port, publicUrl },
      tls: { certPath, keyPath },
      trust: { releaseKeys, operatorKeys },
    });

    context.output.out(
      [
        `Controller ${config.name} (fleet ${config.fleet}) set up in ${dataDir}`,
        `  URL:          ${publicUrl}`,
        `  fingerprint:  ${certificate.fingerprint}`,
        '',
        'Paste into config/deploy.yml of each app:',
        'controller:',
        `  url: ${publicUrl}`,
        `  fingerprint: ${certificate.fingerprint}`,
        '',
        `Start it: berth controller run --data-dir ${dataDir}`,
        `Dashboard: ${publicUrl}/ (sign in with \`berth controller login-token --audience ${config.name}\`)`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};
