import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { BerthError } from '../errors.ts';
import { checkAgainst } from './config-problems.ts';
import { deepFreeze, type DeepReadonly } from './deep-freeze.ts';

function invalid(path: string, problems: readonly string[]): BerthError {
  return new BerthError(
    'CONFIG_INVALID',
    [`${path} is invalid:`, ...problems.map((p) => `  ${p}`)].join('\n'),
  );
}

/** Reads a YAML (or JSON, which YAML includes) file into plain data. */
export async function readConfigFile(
  path: string,
  what: string,
  missingHint?: string,
): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code =
      typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') {
      throw new BerthError('CONFIG_NOT_FOUND', `${what} not found: ${path}`, { hint: missingHint });
    }
    throw new BerthError('CONFIG_INVALID', `${what} ${path} cannot be read (${String(code)})`);
  }
  // `merge` lets `<<: *anchor` merge maps, as Kamal's YAML (Psych) does.
  const document = parseDocument(text, { merge: true });
  if (document.errors.length > 0) {
    throw invalid(
      path,
      document.errors.map((error) => {
        const reason = (error.message.split('\n')[0] ?? '').replace(
          / at line \d+, column \d+:?$/,
          '',
        );
        const position = error.linePos?.[0];
        return position
          ? `${path}:${position.line}:${position.col}: ${reason}`
          : `${path}: ${reason}`;
      }),
    );
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw invalid(path, [error instanceof Error ? error.message : 'YAML could not be read']);
  }
}

/** Validates parsed data against `schema`; every problem goes into one CONFIG_INVALID. */
export function validateConfig<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  path: string,
): DeepReadonly<z.output<S>> {
  if (raw === null || raw === undefined)
    throw invalid(path, ['the file is empty; expected a map of settings']);
  const result = checkAgainst(schema, raw);
  if (!result.ok) throw invalid(path, result.problems);
  return deepFreeze(result.value);
}

export async function loadConfigFile<S extends z.ZodType>(
  path: string,
  schema: S,
  what: string,
  missingHint?: string,
): Promise<DeepReadonly<z.output<S>>> {
  return validateConfig(schema, await readConfigFile(path, what, missingHint), path);
}
