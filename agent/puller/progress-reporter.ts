import type { AgentEvent, AgentRoleStatus, AgentStatus } from '../../shared/api/agent-api.ts';
import type {
  AgentReport,
  ControlReport,
  DeploymentProgressReport,
  ReleaseRefusal,
} from '../../shared/api/controller-api.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AgentStore } from '../state/agent-store.ts';
import { isSettled, isTerminal, type DeploymentEvent } from '../state/deployment.ts';
import type { ControllerLink } from './controller-link.ts';
import { ControlOutbox } from './control-outbox.ts';
import type { PullClock } from './pull-clock.ts';
import type { ReportCursor } from './report-cursor.ts';
import { BackgroundLoop } from './background-loop.ts';
import { RetrySchedule } from './retry-schedule.ts';

export const ACTIVE_INTERVAL_MS = 500;
export const IDLE_INTERVAL_MS = 2_000;
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** Bounds one report; the rest follow in the next ones (history after a long outage). */
export const MAX_EVENTS_PER_REPORT = 500;
export const MAX_DEPLOYMENTS_PER_REPORT = 100;
const MAX_QUEUED_REFUSALS = 100;
/** The controller refuses a whole report with a longer text in it; one long log line must not stall reporting. */
const MAX_TEXT_CHARS = 16_384;
const MAX_ERROR_DETAILS = 200;

export interface ProgressReporterDeps {
  link: Pick<ControllerLink, 'sendReport'>;
  store: Pick<AgentStore, 'services' | 'latestDeployment' | 'deployment' | 'events'>;
  /** The host's status as the agent API shows it (services, roles, container health). */
  describeHost(): Promise<AgentStatus>;
  cursor: ReportCursor;
  /** Service control results to send (they survive a restart); in memory only when absent. */
  controlOutbox?: ControlOutbox;
  logger: Logger;
  clock: PullClock;
  activeIntervalMs?: number;
  idleIntervalMs?: number;
  heartbeatIntervalMs?: number;
}

interface Progress {
  reports: DeploymentProgressReport[];
  sent: Map<number, number>;
  complete: number[];
  isActive: boolean;
}

/**
 * Tells the controller what happens on this host: each deployment's new events (once each;
 * the cursor survives restarts), refused releases, and the host status. Reports as events
 * happen while a deployment runs, and a heartbeat otherwise, so the controller sees the host
 * fresh. Reads the store on its own loop, so the deployer never waits for the controller.
 */
export class ProgressReporter {
  readonly #deps: ProgressReporterDeps;
  readonly #schedule: RetrySchedule;
  readonly #refusals: ReleaseRefusal[] = [];
  readonly #controls: ControlOutbox;
  #lastSentAtMs: number | null = null;
  #lastServices: AgentRoleStatus[] = [];
  #isActive = false;
  #wake = new AbortController();
  readonly #loop = new BackgroundLoop((signal) => this.#run(signal));

  constructor(deps: ProgressReporterDeps) {
    this.#deps = deps;
    this.#controls = deps.controlOutbox ?? ControlOutbox.inMemory();
    this.#schedule = new RetrySchedule({
      what: 'controller reports',
      logger: deps.logger,
      random: deps.clock.random,
    });
  }

  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  addRefusal(refusal: ReleaseRefusal): void {
    this.#refusals.push({ ...refusal, message: clip(refusal.message) });
    this.#refusals.splice(0, Math.max(0, this.#refusals.length - MAX_QUEUED_REFUSALS));
    this.wake();
  }

  /** What became of a signed service control; sent at once. */
  async addControlResult(result: ControlReport): Promise<void> {
    const error = result.error ? { ...result.error, message: clip(result.error.message) } : null;
    await this.#controls.add({ ...result, error });
    this.wake();
  }

  /** Ends the current wait (when the controller is answering): a deployment just began. */
  wake(): void {
    if (this.#schedule.health === 'ok') this.#wake.abort();
  }

  /** Sends a report if there is news or a heartbeat is due; throws when the send fails. */
  async reportOnce(): Promise<'sent' | 'idle'> {
    const { cursor, link, clock } = this.#deps;
    const progress = this.#collect();
    this.#isActive = progress.isActive || progress.reports.length > 0;
    const refusals = this.#refusals.slice();
    const controls = this.#controls.pending.slice();
    const nowMs = clock.now().getTime();
    const heartbeatDue =
      this.#lastSentAtMs === null ||
      nowMs - this.#lastSentAtMs >= (this.#deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);
    const news = progress.reports.length + refusals.length + controls.length;
    if (news === 0 && !heartbeatDue) {
      if (progress.complete.length > 0) await cursor.record(new Map(), progress.complete);
      return 'idle';
    }
    const report: AgentReport = {
      status: await this.#status(),
      progress: progress.reports,
      refusals,
      ...(controls.length > 0 ? { controls } : {}),
    };
    await link.sendReport(report, this.#loop.signal);
    this.#lastSentAtMs = nowMs;
    this.#refusals.splice(0, refusals.length);
    await this.#controls.sent(controls);
    await cursor.record(progress.sent, progress.complete);
    return 'sent';
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { clock, logger } = this.#deps;
    while (!signal.aborted) {
      this.#wake = new AbortController();
      let delayMs: number;
      try {
        await this.reportOnce();
        this.#schedule.succeeded();
        delayMs = this.#isActive
          ? (this.#deps.activeIntervalMs ?? ACTIVE_INTERVAL_MS)
          : (this.#deps.idleIntervalMs ?? IDLE_INTERVAL_MS);
      } catch (error) {
        if (signal.aborted) break;
        delayMs = this.#schedule.failed(error);
      }
      await clock.sleep(delayMs, AbortSignal.any([signal, this.#wake.signal]));
    }
    logger.debug('progress reports stopped');
  }

  /** Deployments past the watermark with events the controller has not had, oldest first. */
  #collect(): Progress {
    const { store, cursor } = this.#deps;
    const progress: Progress = { reports: [], sent: new Map(), complete: [], isActive: false };
    const newestId = Math.max(
      0,
      ...store.services().map((s) => store.latestDeployment(s.service)?.id ?? 0),
    );
    let budget = MAX_EVENTS_PER_REPORT;
    for (
      let id = cursor.watermark + 1;
      id <= newestId && budget > 0 && progress.reports.length < MAX_DEPLOYMENTS_PER_REPORT;
      id++
    ) {
      if (cursor.isComplete(id)) continue;
      const deployment = store.deployment(id);
      if (!deployment) {
        progress.complete.push(id);
        continue;
      }
      // A parked canary is settled: report at the idle pace, not every 500 ms while it runs.
      if (!isSettled(deployment.state)) progress.isActive = true;
      const unsent = store.events(id, cursor.lastSent(id));
      const events = unsent.slice(0, budget);
      budget -= events.length;
      const last = events.at(-1);
      if (last) {
        const { service, sequence, state, error } = deployment;
        progress.reports.push({
          service,
          sequence,
          state,
          error: error && {
            code: error.code,
            message: clip(error.message),
            details: error.details.slice(0, MAX_ERROR_DETAILS).map(clip),
          },
          events: events.map(toAgentEvent),
        });
        progress.sent.set(id, last.id);
      }
      if (isTerminal(deployment.state) && events.length === unsent.length) {
        progress.complete.push(id);
      }
    }
    return progress;
  }

  async #status(): Promise<AgentReport['status']> {
    try {
      const { services, sequences } = await this.#deps.describeHost();
      this.#lastServices = services;
      return { services, sequences };
    } catch (error) {
      this.#deps.logger.debug({ err: error }, 'host status unavailable; reporting the last one');
      const sequences: AgentReport['status']['sequences'] = {};
      for (const service of this.#deps.store.services()) {
        sequences[service.service] = {
          live: service.liveSequence,
          highest: service.highestSequence,
        };
      }
      return { services: this.#lastServices, sequences };
    }
  }
}

function toAgentEvent(event: DeploymentEvent): AgentEvent {
  const { id, at, step, role, message, data } = event;
  return { id, at, step, role, message: clip(message), data };
}

function clip(text: string): string {
  return text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS - 1)}…` : text;
}
