import { z } from 'zod';
import { BerthError } from '../../shared/errors.ts';

const count = z.coerce.number().int().nonnegative();

export const waitQuery = z.object({ waitMs: count.default(0) });
export const pollQuery = waitQuery.extend({
  known: z.string().max(16_384).optional(),
  controls: z.string().max(16_384).optional(),
});
export const progressQuery = waitQuery.extend({ after: count.optional() });
export const limitQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });
export const releasesQuery = limitQuery.extend({ service: z.string().min(1).optional() });

/** Parses query parameters, or throws USAGE naming what the route takes. */
export function parseQuery<S extends z.ZodType>(
  schema: S,
  query: unknown,
  takes: string,
): z.output<S> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) throw new BerthError('USAGE', `query takes ${takes}`);
  return parsed.data;
}

/** How long to hold a poll: what the caller asked for, capped by the server's maximum. */
export function holdMs(waitMs: number, longPollMaxMs: number): number {
  return Math.min(waitMs, longPollMaxMs);
}
