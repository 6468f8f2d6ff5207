import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ServiceRoute } from './admin-protocol.ts';

/**
 * The routing table on disk: `{ "version": 1, "services": ServiceRoute[] }`. Entries are
 * returned unvalidated so the caller can skip bad ones one by one instead of losing them all.
 */
export const stateFileVersion = 1;

export type StateFileContents =
  | { kind: 'missing' }
  | { kind: 'unreadable'; problem: string }
  | { kind: 'loaded'; entries: unknown[] };

export async function readStateFile(path: string): Promise<StateFileContents> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoCode(error, 'ENOENT')) return { kind: 'missing' };
    return { kind: 'unreadable', problem: errorMessage(error) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { kind: 'unreadable', problem: `not JSON: ${errorMessage(error)}` };
  }
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    !('services' in parsed) ||
    !Array.isArray(parsed.services)
  ) {
    return { kind: 'unreadable', problem: 'expected an object with a "services" array' };
  }
  return { kind: 'loaded', entries: parsed.services };
}

/**
 * Replaces the file atomically: a crash leaves either the old table or the new one. Writes a
 * temp file in the same directory, fsyncs it, renames it over the old one, then fsyncs the
 * directory so the rename itself survives power loss.
 */
export async function writeStateFile(path: string, services: ServiceRoute[]): Promise<void> {
  const dir = dirname(path);
  const tempPath = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const body = `${JSON.stringify({ version: stateFileVersion, services }, null, 2)}\n`;
  try {
    const file = await open(tempPath, 'w', 0o600);
    try {
      await file.writeFile(body);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, path);
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (error) {
    // Some filesystems cannot fsync a directory; the rename is still atomic there.
    if (!isErrnoCode(error, 'EINVAL') && !isErrnoCode(error, 'EISDIR')) throw error;
  } finally {
    await handle.close();
  }
}

function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
