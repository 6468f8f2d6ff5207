import { BerthError } from '../errors.ts';
import type { PublicJwk, PublicKey } from '../keys/jwk.ts';
import type { ReleaseManifest } from '../manifest/schema.ts';
import { sealSecrets } from './seal.ts';

/** The secret names a host needs: env secrets and custom TLS certificates of every role on it. */
export function secretNamesForHost(roles: ReleaseManifest['roles'], hostName: string): string[] {
  const names = Object.values(roles)
    .filter((role) => role.hosts.includes(hostName))
    .flatMap((role) => [
      ...role.secretEnv,
      ...[role.proxy?.tls?.certificatePemSecret, role.proxy?.tls?.privateKeyPemSecret].filter(
        (name): name is string => name !== undefined,
      ),
    ]);
  return [...new Set(names)];
}

/**
 * The manifest's `secrets`: for each target host, only the values its roles use (plus
 * `everyHost`, e.g. registry credentials), sealed to its encryption key. Hosts that need
 * nothing get no entry.
 */
export async function sealSecretsPerHost(
  roles: ReleaseManifest['roles'],
  values: Readonly<Record<string, string>>,
  hostKeys: Readonly<Record<string, PublicJwk | PublicKey>>,
  everyHost: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const hosts = [...new Set(Object.values(roles).flatMap((role) => role.hosts))];
  const sealed: Record<string, string> = {};
  for (const host of hosts) {
    const names = secretNamesForHost(roles, host);
    if (names.length === 0 && Object.keys(everyHost).length === 0) continue;
    const key = hostKeys[host];
    if (!key) throw new BerthError('HOST_UNKNOWN', `no encryption key is known for host "${host}"`);
    const missing = names.filter((name) => values[name] === undefined);
    if (missing.length > 0) {
      throw new BerthError('CONFIG_INVALID', `secret values missing for: ${missing.join(', ')}`);
    }
    sealed[host] = await sealSecrets(
      { ...everyHost, ...Object.fromEntries(names.map((name) => [name, values[name] ?? ''])) },
      key,
    );
  }
  return sealed;
}
