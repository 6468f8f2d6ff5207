import { homedir, hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { BerthError } from '../../shared/errors.ts';
import { parsePrivateKey, readKeyFile, type KeyPair } from '../../shared/keys/index.ts';

export type KeyRole = 'release' | 'operator';

const envNames: Record<KeyRole, string> = {
  release: 'BERTH_RELEASE_KEY',
  operator: 'BERTH_OPERATOR_KEY',
};

/** Where `berth keys generate` keeps private keys: $BERTH_KEYS_DIR, else ~/.config/berth/keys. */
export function keysDir(env: NodeJS.ProcessEnv): string {
  return (
    env.BERTH_KEYS_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'berth', 'keys')
  );
}

export function keyPath(env: NodeJS.ProcessEnv, role: KeyRole): string {
  return join(keysDir(env), `${role}.jwk`);
}

/** The private key for signing: from $BERTH_RELEASE_KEY / $BERTH_OPERATOR_KEY (CI), else the key file. */
export async function loadPrivateKey(env: NodeJS.ProcessEnv, role: KeyRole): Promise<KeyPair> {
  const fromEnv = env[envNames[role]];
  if (fromEnv) return parsePrivateKey(fromEnv, `$${envNames[role]}`, 'Ed25519');
  const path = keyPath(env, role);
  if (!existsSync(path)) {
    throw new BerthError('KEY_NOT_FOUND', `no ${role} key at ${path}`, {
      hint: `run \`berth keys generate\`, or set ${envNames[role]}`,
    });
  }
  return readKeyFile(path, 'Ed25519');
}

/** Who is publishing, for the audit trail: $BERTH_OPERATOR, else user@host. */
export function operatorName(env: NodeJS.ProcessEnv): string {
  return env.BERTH_OPERATOR ?? `${userInfo().username}@${hostname()}`;
}
