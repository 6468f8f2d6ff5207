import { writeFileAtomically } from '../../shared/fs/atomic-file.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { BerthError } from '../../shared/errors.ts';
import { hostNamePattern } from '../../shared/manifest/schema.ts';

export const hostEntrySchema = z.object({
  url: z.url({ protocol: /^https$/ }),
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});
const hostBookSchema = z.object({
  hosts: z.record(z.string().regex(hostNamePattern), hostEntrySchema),
});

export type HostEntry = z.infer<typeof hostEntrySchema>;

/** Registered agents for direct mode: `.berth/hosts.json` next to config/ (public data, safe to commit). */
export function hostBookPath(cwd: string): string {
  return join(cwd, '.berth', 'hosts.json');
}

export async function readHostBook(cwd: string): Promise<Record<string, HostEntry>> {
  const path = hostBookPath(cwd);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return {};
  }
  const parsed = hostBookSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new BerthError(
      'CONFIG_INVALID',
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data.hosts;
}

export async function writeHostBook(cwd: string, hosts: Record<string, HostEntry>): Promise<void> {
  const path = hostBookPath(cwd);
  const sorted = Object.fromEntries(Object.entries(hosts).sort(([a], [b]) => a.localeCompare(b)));
  await writeFileAtomically(path, `${JSON.stringify({ hosts: sorted }, null, 2)}\n`, {
    mode: 0o644,
  });
}

export function hostEntry(hosts: Record<string, HostEntry>, name: string): HostEntry {
  const entry = hosts[name];
  if (!entry) {
    throw new BerthError('HOST_UNKNOWN', `host "${name}" is not registered`, {
      hint: `register it: berth hosts add ${name} --url https://HOST:7443 --fingerprint sha256:…`,
    });
  }
  return entry;
}
