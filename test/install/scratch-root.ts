import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every path under `root` with its type and mode, one line each: compare two to see changes. */
export async function listTree(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const lines: string[] = [];
  for (const entry of entries.sort()) {
    const info = await stat(join(root, entry)).catch(() => null);
    const mode = info ? (info.mode & 0o7777).toString(8).padStart(4, '0') : 'gone';
    lines.push(`${info?.isDirectory() ? 'd' : 'f'} ${mode} ${relative(root, join(root, entry))}`);
  }
  return lines;
}

/** A file's permission bits, as an octal string like "0700". */
export async function modeOf(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o7777).toString(8).padStart(4, '0');
}

/** The ExecStart of a unit file, split into words. */
export function execStartOf(unitText: string): string[] {
  const line = /^ExecStart=(.+)$/m.exec(unitText)?.[1];
  if (!line) throw new Error('the unit has no ExecStart');
  return line.trim().split(/\s+/);
}

/** Maps the absolute paths a unit names (/usr/local/…, /var/lib/…) into the scratch root. */
export function inRoot(root: string, words: string[]): string[] {
  return words.map((word) => (/^\/(usr|var|etc)\//.test(word) ? join(root, word) : word));
}
