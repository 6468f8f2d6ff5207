import { secretNamesForHost } from '../../shared/secrets/seal-per-host.ts';
import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { rolesOnHost } from './host-plan.ts';

/** Opens the release's secrets sealed to this host and checks every secret a role here names is among them. */
export async function openHostSecrets(
  deps: DeployerDeps,
  manifest: ReleaseManifest,
): Promise<Record<string, string>> {
  const sealed = manifest.secrets[deps.hostName];
  const values = sealed ? await deps.openSecrets(sealed) : {};
  for (const { name, role } of rolesOnHost(manifest, deps.hostName)) {
    const missing = secretNamesForHost({ [name]: role }, deps.hostName).filter(
      (secret) => !(secret in values),
    );
    if (missing.length) {
      throw new BerthError(
        'SECRET_UNSEALABLE',
        `role ${name} needs ${missing.join(', ')}, which the release does not seal to ${deps.hostName}`,
        {
          hint: 'publish again with `berth deploy`, which seals every env.secret value to each host',
        },
      );
    }
  }
  return values;
}
