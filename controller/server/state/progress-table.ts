import type Database from 'better-sqlite3';
import type { AgentEvent } from '../../../shared/api/agent-api.ts';
import type { HostDeployState, ProgressEvent, ReportedError } from './records.ts';
import { toDeployState, toEvent, type EventRow, type ReleaseHostRow } from './rows.ts';

type NewEvent = Omit<AgentEvent, 'id'>;

/**
 * Per (release, host): the deploy state the agent last reported, and every event it sent. Event
 * ids are the controller's own, increasing, so clients follow progress with an `after` cursor.
 */
export class ProgressTable {
  readonly #now: () => string;
  readonly #open: Database.Statement<[string, number, string, string]>;
  readonly #supersede: Database.Statement<[string, string, string, number], { sequence: number }>;
  readonly #update: Database.Statement<[string, string | null, string, string, number, string]>;
  readonly #insertEvent: Database.Statement<
    [string, number, string, string, string, string | null, string, string | null]
  >;
  readonly #states: Database.Statement<[string, number], ReleaseHostRow>;
  readonly #events: Database.Statement<[string, number, number], EventRow>;
  readonly #lastEventId: Database.Statement<[string, number], { id: number | null }>;
  readonly #latestStates: Database.Statement<[], ReleaseHostRow>;

  constructor(db: Database.Database, now: () => string) {
    this.#now = now;
    this.#open = db.prepare(
      `INSERT INTO release_hosts (service, sequence, host, state, updated_at)
       VALUES (?, ?, ?, 'pending', ?)`,
    );
    this.#supersede = db.prepare(
      `UPDATE release_hosts SET state = 'superseded', updated_at = ?
       WHERE service = ? AND host = ? AND sequence < ? AND state = 'pending'
       RETURNING sequence`,
    );
    this.#update = db.prepare(
      `UPDATE release_hosts SET state = ?, error = ?, updated_at = ?
       WHERE service = ? AND sequence = ? AND host = ?`,
    );
    this.#insertEvent = db.prepare(
      `INSERT INTO progress_events (service, sequence, host, at, step, role, message, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#states = db.prepare(
      'SELECT * FROM release_hosts WHERE service = ? AND sequence = ? ORDER BY host',
    );
    this.#events = db.prepare(
      'SELECT * FROM progress_events WHERE service = ? AND sequence = ? AND id > ? ORDER BY id',
    );
    this.#lastEventId = db.prepare(
      'SELECT MAX(id) AS id FROM progress_events WHERE service = ? AND sequence = ?',
    );
    this.#latestStates = db.prepare(
      `SELECT rh.* FROM release_hosts rh
       JOIN (SELECT host, service, MAX(sequence) AS sequence FROM release_hosts
             GROUP BY host, service) latest
         ON latest.host = rh.host AND latest.service = rh.service AND latest.sequence = rh.sequence
       ORDER BY rh.host, rh.service`,
    );
  }

  /**
   * Marks each target `pending` for the new release. Older releases of the service still pending
   * on a target become `superseded`: an agent only ever fetches the newest. Returns their sequences.
   */
  open(service: string, sequence: number, targets: readonly string[]): number[] {
    const now = this.#now();
    const superseded = new Set<number>();
    for (const host of targets) {
      this.#open.run(service, sequence, host, now);
      for (const older of this.#supersede.all(now, service, host, sequence)) {
        superseded.add(older.sequence);
        this.#event(service, older.sequence, host, {
          at: now,
          step: 'superseded',
          role: null,
          message: `sequence ${sequence} was published before this host fetched ${older.sequence}`,
          data: null,
        });
      }
    }
    return [...superseded];
  }

  /** Applies an agent's report for one release; false when the host is not one of its targets. */
  record(
    host: string,
    release: { service: string; sequence: number },
    update: { state: string; error: ReportedError | null; events: readonly NewEvent[] },
  ): boolean {
    const changed = this.#update.run(
      update.state,
      update.error ? JSON.stringify(update.error) : null,
      this.#now(),
      release.service,
      release.sequence,
      host,
    );
    if (changed.changes === 0) return false;
    for (const event of update.events) this.#event(release.service, release.sequence, host, event);
    return true;
  }

  states(service: string, sequence: number): HostDeployState[] {
    return this.#states.all(service, sequence).map(toDeployState);
  }

  events(service: string, sequence: number, afterId: number): ProgressEvent[] {
    return this.#events.all(service, sequence, afterId).map(toEvent);
  }

  lastEventId(service: string, sequence: number): number {
    return this.#lastEventId.get(service, sequence)?.id ?? 0;
  }

  /** Per host and service, the state of the newest release that targets the host. */
  latestStates(): HostDeployState[] {
    return this.#latestStates.all().map(toDeployState);
  }

  #event(service: string, sequence: number, host: string, event: NewEvent): void {
    this.#insertEvent.run(
      service,
      sequence,
      host,
      event.at,
      event.step,
      event.role,
      event.message,
      event.data ? JSON.stringify(event.data) : null,
    );
  }
}
