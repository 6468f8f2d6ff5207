import type { Logger } from '../../shared/logger.ts';
import type { ControllerLink } from './controller-link.ts';
import type { PullClock } from './pull-clock.ts';
import type { ControlIntake } from './control-intake.ts';
import type { ReleaseIntake } from './release-intake.ts';
import { BackgroundLoop } from './background-loop.ts';
import { RetrySchedule } from './retry-schedule.ts';

/** How long the controller may hold one poll when nothing is new. */
export const POLL_WAIT_MS = 30_000;
/** Polls never follow each other faster than this, even if a controller answers at once. */
export const MIN_POLL_INTERVAL_MS = 1_000;

export interface ReleasePollerDeps {
  link: Pick<ControllerLink, 'poll'>;
  intake: Pick<ReleaseIntake, 'offer' | 'known'>;
  /** Signed service controls; without it the poll does not ask for them. */
  controls?: Pick<ControlIntake, 'offer' | 'known'>;
  logger: Logger;
  clock: PullClock;
  waitMs?: number;
  minPollIntervalMs?: number;
}

/**
 * Long-polls the controller for releases newer than what this host knows (and service controls)
 * and hands them to the intakes, which verify each as if it had been pushed: a release from the controller is
 * a nudge, never a bypass. No answer → backoff with full jitter; refused → the longest wait.
 */
export class ReleasePoller {
  readonly #deps: ReleasePollerDeps;
  readonly #schedule: RetrySchedule;
  readonly #loop = new BackgroundLoop((signal) => this.#run(signal));

  constructor(deps: ReleasePollerDeps) {
    this.#deps = deps;
    this.#schedule = new RetrySchedule({
      what: 'controller release poll',
      logger: deps.logger,
      random: deps.clock.random,
    });
  }

  start(): void {
    this.#loop.start();
  }

  /** Aborts the held poll and any wait; resolves once the loop has ended. */
  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { link, intake, clock, logger } = this.#deps;
    const waitMs = this.#deps.waitMs ?? POLL_WAIT_MS;
    const minIntervalMs = this.#deps.minPollIntervalMs ?? MIN_POLL_INTERVAL_MS;
    while (!signal.aborted) {
      const startedAtMs = clock.now().getTime();
      try {
        const { controls } = this.#deps;
        const work = await link.poll(intake.known(), waitMs, signal, controls?.known());
        this.#schedule.succeeded();
        // Controls first: they are quick, and a maintenance page should not wait for a deploy.
        if (controls && work.controls.length > 0) await controls.offer(work.controls);
        if (work.releases.length > 0) await intake.offer(work.releases, 'controller');
      } catch (error) {
        if (signal.aborted) break;
        await clock.sleep(this.#schedule.failed(error), signal);
        continue;
      }
      const elapsedMs = clock.now().getTime() - startedAtMs;
      if (elapsedMs < minIntervalMs) await clock.sleep(minIntervalMs - elapsedMs, signal);
    }
    logger.debug('release poll stopped');
  }
}
