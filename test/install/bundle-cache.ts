import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundle, bundleFileName } from '../../scripts/bundle/build.ts';

export const repoDir = fileURLToPath(new URL('../..', import.meta.url));

export interface CachedBundle {
  path: string;
  fileName: string;
  sha256: string;
}

/** Everything that goes into a bundle; a change to any of it means a new build. */
const inputDirs = ['agent', 'shared', 'systemd', 'scripts/bundle'];
const inputFiles = [
  'package.json',
  'package-lock.json',
  'docs/install.md',
  'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function inputHash(): Promise<string> {
  const hash = createHash('sha256').update(`${process.execPath} ${process.version}\n`);
  hash.update(String((await stat(process.execPath)).size));
  const files = [...inputFiles.map((file) => join(repoDir, file))];
  for (const dir of inputDirs) files.push(...(await filesUnder(join(repoDir, dir))));
  for (const file of files) {
    hash.update(`${relative(repoDir, file)}\n`).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Keeps one cached build: each is about 38 MB. */
async function removeOtherBuilds(keep: string): Promise<void> {
  const parent = join(keep, '..');
  for (const entry of await readdir(parent)) {
    const path = join(parent, entry);
    if (path !== keep && /^[0-9a-f]{16}$/.test(entry))
      await rm(path, { recursive: true, force: true });
  }
}

/**
 * The agent bundle for this machine, built once per content of its inputs (a rebuild takes
 * about 5 s) and kept in the system temp dir across test runs.
 */
export async function cachedBundle(): Promise<CachedBundle> {
  const dir = join(tmpdir(), 'berth-bundle-cache', await inputHash());
  const version = (
    JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  const fileName = bundleFileName(version, process.arch);
  const path = join(dir, fileName);
  if (!existsSync(`${path}.sha256`)) {
    const building = `${dir}.${process.pid}.tmp`;
    await rm(building, { recursive: true, force: true });
    await buildBundle({ repoDir, outDir: building });
    await mkdir(join(dir, '..'), { recursive: true });
    await rm(dir, { recursive: true, force: true });
    await rename(building, dir);
    await removeOtherBuilds(dir);
  }
  const sha256 = (await readFile(`${path}.sha256`, 'utf8')).split(/\s+/)[0] ?? '';
  return { path, fileName, sha256 };
}
