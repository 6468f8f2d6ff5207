import { z } from 'zod';
import { describeValue } from './config-problems.ts';

/** Keys starting with this are ignored, so YAML anchors can live in them (as in Kamal). */
export const EXTENSION_KEY_PREFIX = 'x-';

function normalized(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let j = 1; j <= b.length; j++) (rows[0] ?? [])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The known key a typo most likely meant, if any is close enough to suggest. */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const exact = known.find((key) => normalized(key) === normalized(unknown));
  if (exact) return exact;
  const limit = Math.max(1, Math.floor(unknown.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(unknown, key);
    if (distance <= limit && (best === undefined || distance < best.distance)) best = { key, distance };
  }
  return best?.key;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  return `unknown key ${JSON.stringify(key)}${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}`;
}

/**
 * A map of settings: unknown keys are reported (with a suggestion), `x-` keys are ignored and
 * dropped. Zod's strict objects would reject `x-` keys, and its stripping objects hide unknown
 * keys from refinements, hence the loose object plus a check that runs even when fields fail.
 */
export function configSection<T extends z.ZodRawShape>(shape: T) {
  const known = Object.keys(shape);
  return z
    .looseObject(shape)
    .superRefine(
      (value, ctx) => {
        if (typeof value !== 'object' || value === null) return;
        for (const key of Object.keys(value)) {
          if (known.includes(key) || key.startsWith(EXTENSION_KEY_PREFIX)) continue;
          ctx.addIssue({ code: 'custom', message: unknownKeyMessage(key, known), input: value });
        }
      },
      { when: () => true },
    )
    .transform((value) => {
      const kept = Object.entries(value).filter(([key]) => known.includes(key));
      return Object.fromEntries(kept) as z.output<z.ZodObject<T>>;
    });
}

/** A string matching `pattern`; `words` says what that means to a person. */
export function matching(pattern: RegExp, words: string) {
  return z.string().regex(pattern, {
    error: (issue) => `expected ${words}, got ${describeValue(issue.input)}`,
  });
}

/** YAML reads `PORT: 3000` as a number; env and label values are strings all the same. */
export const textValue = z
  .union([z.string(), z.number(), z.boolean()])
  .transform((value) => String(value));
