import { checkAgainst } from '../config/config-problems.ts';
import { BerthError } from '../errors.ts';
import { releaseManifestSchema, type ReleaseManifest } from './schema.ts';

/** Validates a manifest payload; MANIFEST_INVALID lists every problem by key path. */
export function parseManifest(value: unknown): ReleaseManifest {
  const result = checkAgainst(releaseManifestSchema, value);
  if (result.ok) return result.value;
  const lines = [
    'release manifest is invalid:',
    ...result.problems.map((problem) => `  ${problem}`),
  ];
  throw new BerthError('MANIFEST_INVALID', lines.join('\n'));
}
