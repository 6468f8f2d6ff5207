import { existsSync } from 'node:fs';
import { mkdir, rmdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  agentConfigPath,
  agentConfigSchema,
  writeAgentConfig,
  type AgentConfig,
  type AgentConfigInput,
} from '../../shared/config/agent-config.ts';
import { validateConfig } from '../../shared/config/config-file.ts';
import {
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  parsePublicKey,
  writeKeyFile,
  type KeyPair,
} from '../../shared/keys/index.ts';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../shared/tls/self-signed-certificate.ts';

/** What makes this server's agent itself; private halves are only ever written to this server. */
export interface AgentIdentity {
  signing: KeyPair;
  encryption: KeyPair;
  certificate: SelfSignedCertificate;
}

export interface AgentSetup {
  name: string;
  fleet: string;
  dataDir: string;
  api: { host: string; port: number };
  httpPort: number;
  httpsPort: number;
  dockerNetwork: string;
  releaseKeys: readonly string[];
  operatorKeys: readonly string[];
  controller?: { url: string; fingerprint: string; name: string };
  /** Replace key and certificate files already there (`init --force`). */
  overwrite?: boolean;
}

/** New identity and encryption keys and a self-signed API certificate, in memory. */
export async function createAgentIdentity(name: string): Promise<AgentIdentity> {
  return {
    signing: await generateSigningKey(),
    encryption: await generateEncryptionKey(),
    certificate: await createSelfSignedCertificate({ commonName: `berth-agent ${name}` }),
  };
}

/** Public keys in their one printable form; throws KEY_INVALID on a bad one. */
export function normalizeKeys(keys: readonly string[]): string[] {
  return keys.map((key) => formatPublicKey(parsePublicKey(key)));
}

/** Where a setup in `dataDir` keeps its files. */
function setupPaths(dataDir: string) {
  const keysDir = join(dataDir, 'keys');
  return {
    keysDir,
    signingKey: join(keysDir, 'identity-signing.jwk'),
    encryptionKey: join(keysDir, 'identity-encryption.jwk'),
    cert: join(keysDir, 'api-cert.pem'),
    key: join(keysDir, 'api-key.pem'),
    config: agentConfigPath(dataDir),
  };
}

function configInput(setup: AgentSetup): AgentConfigInput {
  const paths = setupPaths(setup.dataDir);
  return {
    name: setup.name,
    fleet: setup.fleet,
    dataDir: setup.dataDir,
    api: setup.api,
    proxy: { httpPort: setup.httpPort, httpsPort: setup.httpsPort },
    docker: { network: setup.dockerNetwork },
    trust: { releaseKeys: [...setup.releaseKeys], operatorKeys: [...setup.operatorKeys] },
    tls: { certPath: paths.cert, keyPath: paths.key },
    identity: { signingKeyPath: paths.signingKey, encryptionKeyPath: paths.encryptionKey },
    ...(setup.controller ? { controller: setup.controller } : {}),
  };
}

/** Throws CONFIG_INVALID (naming the key) if the setup's config would be refused; writes nothing. */
export function checkAgentSetup(setup: AgentSetup): void {
  validateConfig(agentConfigSchema, configInput(setup), agentConfigPath(setup.dataDir));
}

/**
 * Writes the keys (mode 0600), the certificate and the config into the data dir. If any
 * write fails, removes the files and folders it created, so nothing is left half set up.
 */
export async function writeAgentSetup(
  setup: AgentSetup,
  identity: AgentIdentity,
): Promise<AgentConfig> {
  const paths = setupPaths(setup.dataDir);
  const createdDirs = [setup.dataDir, paths.keysDir].filter((dir) => !existsSync(dir));
  const createdFiles = [paths.signingKey, paths.encryptionKey, paths.cert, paths.key, paths.config];
  const toRemove = createdFiles.filter((path) => !existsSync(path));
  const overwrite = setup.overwrite ?? false;
  const flag = overwrite ? 'w' : 'wx';
  try {
    await mkdir(paths.keysDir, { recursive: true, mode: 0o700 });
    await writeKeyFile(paths.signingKey, identity.signing.privateJwk, { overwrite });
    await writeKeyFile(paths.encryptionKey, identity.encryption.privateJwk, { overwrite });
    await writeFile(paths.cert, identity.certificate.certPem, { mode: 0o644, flag });
    await writeFile(paths.key, identity.certificate.keyPem, { mode: 0o600, flag });
    return await writeAgentConfig(paths.config, configInput(setup));
  } catch (error) {
    await removeCreated(toRemove, createdDirs);
    throw error;
  }
}

/** Removes the files, then the folders (deepest first, only if empty), that a setup created. */
async function removeCreated(files: string[], dirs: string[]): Promise<void> {
  for (const file of files) await unlink(file).catch(() => undefined);
  for (const dir of [...dirs].reverse()) await rmdir(dir).catch(() => undefined);
}
