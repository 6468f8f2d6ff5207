import { setTimeout as delay } from 'node:timers/promises';

/** Time and chance for the pull loops; tests pass their own so nothing really waits. */
export interface PullClock {
  now(): Date;
  /** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** Uniform in [0, 1): the jitter in backoff delays. */
  random(): number;
}

export const systemPullClock: PullClock = {
  now: () => new Date(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
  random: () => Math.random(),
};
