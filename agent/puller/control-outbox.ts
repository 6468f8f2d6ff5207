import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { ControlReport } from '../../shared/api/controller-api.ts';
import { writeFileAtomically } from '../../shared/fs/atomic-file.ts';

/** Results kept for the controller at most; older ones are dropped (the host's state is right regardless). */
export const MAX_UNSENT_CONTROL_RESULTS = 100;

const outboxFile = z.object({
  results: z.array(
    z.object({
      service: z.string(),
      sequence: z.number().int(),
      outcome: z.enum(['applied', 'refused']),
      error: z.object({ code: z.string(), message: z.string() }).nullable(),
      routes: z.array(
        z.object({
          route: z.string(),
          maintenance: z.object({ message: z.string() }).nullable(),
          pause: z.object({ maxPauseMs: z.number() }).nullable(),
        }),
      ),
    }),
  ),
});

const keyOf = (result: ControlReport): string => `${result.service}#${result.sequence}`;

/**
 * Service control results not yet accepted by the controller, kept in a small JSON file in the
 * data dir (replaced atomically), so a result survives an agent restart between applying a
 * control and reporting it: the controller would otherwise never hear of it, since the applied
 * control is not fetched again. Without a path it only keeps them in memory.
 */
export class ControlOutbox {
  readonly #path: string | null;
  #results: ControlReport[];
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string | null, results: ControlReport[]) {
    this.#path = path;
    this.#results = results;
  }

  /** An outbox that keeps results in memory only (tests, or no data dir). */
  static inMemory(): ControlOutbox {
    return new ControlOutbox(null, []);
  }

  /** The outbox in `path`; a missing or unreadable file holds nothing. */
  static async load(path: string | null): Promise<ControlOutbox> {
    const text = path === null ? null : await readFile(path, 'utf8').catch(() => null);
    const parsed = text === null ? null : outboxFile.safeParse(parseJson(text));
    return new ControlOutbox(path, parsed?.success ? parsed.data.results : []);
  }

  get pending(): readonly ControlReport[] {
    return this.#results;
  }

  /** Queues a result (replacing an unsent one for the same control) and saves. */
  add(result: ControlReport): Promise<void> {
    const others = this.#results.filter((r) => keyOf(r) !== keyOf(result));
    this.#results = [...others, result].slice(-MAX_UNSENT_CONTROL_RESULTS);
    return this.#save();
  }

  /** Drops the results the controller accepted and saves. */
  sent(results: readonly ControlReport[]): Promise<void> {
    if (results.length === 0) return Promise.resolve();
    const done = new Set(results.map(keyOf));
    this.#results = this.#results.filter((r) => !done.has(keyOf(r)));
    return this.#save();
  }

  #save(): Promise<void> {
    const path = this.#path;
    if (path === null) return Promise.resolve();
    const write = this.#writing.then(() =>
      writeFileAtomically(path, `${JSON.stringify({ results: this.#results })}\n`),
    );
    this.#writing = write.catch(() => undefined);
    return write;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
