import { z } from 'zod';
import { describeValue } from './config-problems.ts';
import { unknownKeyMessage } from './unknown-key.ts';

/** Keys starting with this are ignored, so YAML anchors can live in them (as in Kamal). */
export const EXTENSION_KEY_PREFIX = 'x-';

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

/**
 * An integer setting. Zod's own int check aborts the whole parse on a fraction, which would hide
 * every unknown key in the file; this one reports the fraction and lets the rest be checked.
 */
export function integer() {
  return z
    .number({
      error: (issue) =>
        issue.code === 'invalid_type'
          ? `expected an integer, got ${describeValue(issue.input)}`
          : undefined,
    })
    .refine(Number.isInteger, {
      error: (issue) => `expected an integer, got ${String(issue.input)}`,
    })
    .meta({ type: 'integer' });
}

/** YAML reads `PORT: 3000` as a number; env and label values are strings all the same. */
export const textValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (issue) => `expected a string, number or boolean, got ${describeValue(issue.input)}`,
  })
  .transform((value) => String(value));
