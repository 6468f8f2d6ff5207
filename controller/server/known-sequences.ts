import { z } from 'zod';
import { BerthError } from '../../shared/errors.ts';

const knownSchema = z.record(z.string().max(64), z.number().int().nonnegative());

/** The agent's `known` parameter: base64url JSON `{service: highestSequence}`; absent is `{}`. */
export function parseKnownSequences(text: string | undefined): Record<string, number> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = knownSchema.safeParse(value);
  if (!parsed.success) {
    throw new BerthError(
      'USAGE',
      'known must be base64url JSON mapping each service to the highest sequence the agent holds',
    );
  }
  return parsed.data;
}

/** The inverse, for clients and tests. */
export function encodeKnownSequences(known: Readonly<Record<string, number>>): string {
  return Buffer.from(JSON.stringify(known)).toString('base64url');
}
