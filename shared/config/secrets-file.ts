import { readFile } from 'node:fs/promises';
import { BerthError } from '../errors.ts';

/** Kamal's `.kamal/secrets`, for Berth: `NAME=value` lines, read from the app's folder. */
export const DEFAULT_SECRETS_FILE = '.berth/secrets';

const assignment = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

function unquoted(value: string): string {
  const first = value[0];
  return value.length >= 2 && (first === '"' || first === "'") && value.endsWith(first)
    ? value.slice(1, -1)
    : value;
}

/**
 * Parses a secrets file: `NAME=value` (optionally `export NAME=value`; one pair of surrounding
 * quotes is removed; no escapes or interpolation), blank lines and `#` comments. A bad line is
 * reported by number only, since it may hold a secret.
 */
export function parseSecretsFile(text: string, path: string): Map<string, string> {
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = assignment.exec(line);
    if (!match) throw new BerthError('CONFIG_INVALID', `${path}:${index + 1}: expected NAME=value`);
    values.set(match[1] ?? '', unquoted(match[2] ?? ''));
  });
  return values;
}

async function readSecretsFile(path: string): Promise<Map<string, string> | null> {
  try {
    return parseSecretsFile(await readFile(path, 'utf8'), path);
  } catch (error) {
    const code =
      typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The values of the named secrets: from the environment first, then from the secrets file.
 * A name found in neither is a CONFIG_INVALID that names it (never a value).
 */
export async function loadSecrets(
  names: readonly string[],
  options: { env?: Readonly<Record<string, string | undefined>>; file?: string } = {},
): Promise<Record<string, string>> {
  const env = options.env ?? process.env;
  const path = options.file ?? DEFAULT_SECRETS_FILE;
  const found: Record<string, string> = {};
  const needsFile = names.some((name) => env[name] === undefined);
  const file = needsFile ? await readSecretsFile(path) : null;
  const missing: string[] = [];
  for (const name of names) {
    const value = env[name] ?? file?.get(name);
    if (value === undefined) missing.push(name);
    else found[name] = value;
  }
  if (missing.length > 0) {
    const where =
      file === null ? `the environment (${path} does not exist)` : `the environment or ${path}`;
    throw new BerthError(
      'CONFIG_INVALID',
      `secret${missing.length > 1 ? 's' : ''} not set: ${missing.join(', ')}; set ${missing.length > 1 ? 'them' : 'it'} in ${where}`,
    );
  }
  return found;
}
