import type { Logger } from '../../shared/logger.ts';
import { isRefusedCall } from './controller-call.ts';

export const RETRY_BASE_MS = 1_000;
export const RETRY_MAX_MS = 60_000;
const MAX_DOUBLINGS = 30;

/** Full-jitter exponential backoff: uniform in [0, min(max, base · 2^attempt)). Pure. */
export function backoffDelayMs(
  attempt: number,
  random: () => number,
  baseMs = RETRY_BASE_MS,
  maxMs = RETRY_MAX_MS,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** How the last call went: answered, no answer (network, 5xx), or refused (4xx, wrong certificate). */
export type LinkHealth = 'ok' | 'unreachable' | 'refused';

/**
 * The waits between failed calls to one peer, and what to log about them: one line per change
 * of state, never one per attempt. A refused agent (revoked, unknown) waits the maximum each
 * time: retrying sooner cannot help.
 */
export class RetrySchedule {
  readonly #what: string;
  readonly #logger: Logger;
  readonly #random: () => number;
  readonly #baseMs: number;
  readonly #maxMs: number;
  #failures = 0;
  #health: LinkHealth = 'ok';

  constructor(options: {
    what: string;
    logger: Logger;
    random: () => number;
    baseMs?: number;
    maxMs?: number;
  }) {
    this.#what = options.what;
    this.#logger = options.logger;
    this.#random = options.random;
    this.#baseMs = options.baseMs ?? RETRY_BASE_MS;
    this.#maxMs = options.maxMs ?? RETRY_MAX_MS;
  }

  get health(): LinkHealth {
    return this.#health;
  }

  succeeded(): void {
    if (this.#health !== 'ok') {
      this.#logger.info({ after: this.#failures }, `${this.#what}: answering again`);
    }
    this.#health = 'ok';
    this.#failures = 0;
  }

  /** The milliseconds to wait before the next attempt after `error`. */
  failed(error: unknown): number {
    const health: LinkHealth = isRefusedCall(error) ? 'refused' : 'unreachable';
    if (health !== this.#health) {
      const fields = { code: codeOf(error), reason: messageOf(error) };
      if (health === 'refused') {
        this.#logger.error(fields, `${this.#what}: refused; retrying every ${this.#maxMs} ms`);
      } else {
        this.#logger.warn(fields, `${this.#what}: no answer; retrying with backoff`);
      }
    }
    this.#health = health;
    const attempt = this.#failures;
    this.#failures = Math.min(this.#failures + 1, MAX_DOUBLINGS);
    if (health === 'refused') return this.#maxMs;
    return backoffDelayMs(attempt, this.#random, this.#baseMs, this.#maxMs);
  }
}

function codeOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String(error.code)
    : 'INTERNAL';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
