import { writeFileAtomically } from '../../shared/fs/atomic-file.ts';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';

const cursorFile = z.object({
  watermark: z.number().int().min(0),
  sent: z.record(z.string(), z.number().int().min(0)),
  complete: z.array(z.number().int().min(1)),
});

type CursorState = z.infer<typeof cursorFile>;

/**
 * What the controller has been told: for each deployment, the id of the last event sent.
 * Every deployment up to `watermark` is finished and fully reported. Kept in a small JSON file
 * in the data dir, replaced atomically, so a restart neither resends everything nor skips.
 */
export class ReportCursor {
  readonly #path: string;
  #state: CursorState;

  private constructor(path: string, state: CursorState) {
    this.#path = path;
    this.#state = state;
  }

  /** The cursor in `path`; a missing or unreadable file starts from nothing reported. */
  static async load(path: string): Promise<ReportCursor> {
    const text = await readFile(path, 'utf8').catch(() => null);
    const parsed = text === null ? null : cursorFile.safeParse(parseJson(text));
    const state = parsed?.success ? parsed.data : { watermark: 0, sent: {}, complete: [] };
    return new ReportCursor(path, state);
  }

  get watermark(): number {
    return this.#state.watermark;
  }

  /** The id of the last event of this deployment the controller received (0: none). */
  lastSent(deploymentId: number): number {
    return this.#state.sent[String(deploymentId)] ?? 0;
  }

  isComplete(deploymentId: number): boolean {
    return deploymentId <= this.#state.watermark || this.#state.complete.includes(deploymentId);
  }

  /**
   * Records a report the controller accepted: the last event id sent per deployment, and the
   * deployments now finished and fully sent. Moves the watermark over those and saves.
   */
  async record(sent: ReadonlyMap<number, number>, complete: readonly number[]): Promise<void> {
    const next: CursorState = {
      watermark: this.#state.watermark,
      sent: { ...this.#state.sent },
      complete: [...new Set([...this.#state.complete, ...complete])],
    };
    for (const [id, eventId] of sent) next.sent[String(id)] = eventId;
    while (next.complete.includes(next.watermark + 1)) {
      next.watermark += 1;
      delete next.sent[String(next.watermark)];
    }
    next.complete = next.complete.filter((id) => id > next.watermark).sort((a, b) => a - b);
    await writeFileAtomically(this.#path, `${JSON.stringify(next)}\n`);
    this.#state = next;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
