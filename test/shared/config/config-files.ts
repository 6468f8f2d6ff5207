import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Writes `content` (YAML text, or data to serialise as YAML) to a fresh temp file. */
export async function configFile(content: unknown, name = 'deploy.yml'): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'berth-config-')), name);
  await writeFile(path, typeof content === 'string' ? content : stringify(content));
  return path;
}
