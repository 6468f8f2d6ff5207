import { writeFileAtomically } from '../../shared/fs/atomic-file.ts';
import { readFile } from 'node:fs/promises';
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

/** Replaces the routing table atomically: a crash leaves either the old table or the new one. */
export async function writeStateFile(path: string, services: ServiceRoute[]): Promise<void> {
  await writeFileAtomically(
    path,
    `${JSON.stringify({ version: stateFileVersion, services }, null, 2)}\n`,
  );
}

function isErrnoCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
