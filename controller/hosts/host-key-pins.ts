import { writeFileAtomically } from '../../shared/fs/atomic-file.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../shared/errors.ts';

/**
 * Trust on first use for the hosts' encryption keys learnt from a controller: the first key
 * seen for a host is remembered in `.berth/host-keys.json`; a different key later is refused,
 * so a compromised controller cannot swap in its own key and read the secrets sealed to it.
 */
export async function pinHostKeys(cwd: string, keys: Record<string, string>): Promise<void> {
  const path = join(cwd, '.berth', 'host-keys.json');
  const pinned = await readFile(path, 'utf8')
    .then((text) => JSON.parse(text) as Record<string, string>)
    .catch(() => ({}) as Record<string, string>);
  for (const [host, key] of Object.entries(keys)) {
    const known = pinned[host];
    if (known && known !== key) {
      throw new BerthError(
        'HOST_KEY_CHANGED',
        `the controller reports a new encryption key for ${host}`,
        {
          hint: `if ${host} re-joined, delete its line from ${path} and deploy again`,
        },
      );
    }
  }
  const merged = { ...pinned, ...keys };
  if (Object.keys(merged).length === Object.keys(pinned).length) return;
  await writeFileAtomically(path, `${JSON.stringify(merged, null, 2)}\n`, { mode: 0o644 });
}
