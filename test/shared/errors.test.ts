import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BerthError, errorCatalog, type ErrorCode } from '../../shared/errors.ts';

const root = join(import.meta.dirname, '..', '..');

async function documentedCodes(): Promise<string[]> {
  const page = await readFile(join(root, 'docs', 'errors.md'), 'utf8');
  return [...page.matchAll(/^\| `([A-Z_]+)` +\| (\d{3}) +\|/gm)].map(
    (match) => `${match[1]} ${match[2]}`,
  );
}

describe('docs/errors.md', () => {
  it('lists every error code with its HTTP status, and no code that does not exist', async () => {
    const catalogue = Object.entries(errorCatalog).map(
      ([code, entry]) => `${code} ${entry.status}`,
    );
    expect((await documentedCodes()).sort()).toEqual(catalogue.sort());
  });
});

describe('BerthError', () => {
  it('carries the status of its code and serialises without internals', () => {
    const code: ErrorCode = 'RELEASE_REPLAYED';
    const error = new BerthError(code, 'sequence 3 is not greater than 5', {
      cause: new Error('internal'),
    });
    expect(error.status).toBe(409);
    expect(error.toJSON()).toEqual({ code, message: 'sequence 3 is not greater than 5' });
  });
});
