import Database from 'better-sqlite3';
import { ControlLedger } from './control-ledger.ts';
import { migrate } from './migrations.ts';
import type {
  Deployment,
  DeploymentEvent,
  DeploymentState,
  ServiceRecord,
  StoredRelease,
} from './deployment.ts';
import {
  toDeployment,
  toEvent,
  toRelease,
  toService,
  type DeploymentRow,
  type EventRow,
  type ReleaseRow,
  type ServiceRow,
} from './rows.ts';

/**
 * The agent's durable memory: releases received, deployments and their step events, and per
 * service the live release. All SQL of the agent lives here. Every transition is committed
 * before the side effect it announces, so a restart knows where a deploy stopped.
 */
export class AgentStore {
  /** Per service, the last signed service control applied (pull mode). */
  readonly controls: ControlLedger;
  readonly #db: Database.Database;
  readonly #now: () => Date;

  constructor(path: string, options: { now?: () => Date } = {}) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    this.#now = options.now ?? (() => new Date());
    this.controls = new ControlLedger(this.#db, () => this.#timestamp());
  }

  close(): void {
    this.#db.close();
  }

  #timestamp(): string {
    return this.#now().toISOString();
  }

  service(service: string): ServiceRecord | null {
    const row = this.#db
      .prepare<[string], ServiceRow>('SELECT * FROM services WHERE service = ?')
      .get(service);
    return row ? toService(row) : null;
  }

  services(): ServiceRecord[] {
    return this.#db
      .prepare<[], ServiceRow>('SELECT * FROM services ORDER BY service')
      .all()
      .map(toService);
  }

  /**
   * Stores a verified release and opens its deployment in one transaction, raising the
   * service's highest sequence so the same or an older release is refused from now on.
   */
  acceptRelease(release: StoredRelease, previousSequence: number | null): Deployment {
    const now = this.#timestamp();
    const id = this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO releases (service, sequence, version, image, issued_by, jws, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          release.service,
          release.sequence,
          release.version,
          release.image,
          release.issuedBy,
          release.jws,
          now,
        );
      this.#db
        .prepare(
          `INSERT INTO services (service, live_sequence, highest_sequence, updated_at) VALUES (?, NULL, ?, ?)
           ON CONFLICT (service) DO UPDATE SET highest_sequence = excluded.highest_sequence, updated_at = excluded.updated_at`,
        )
        .run(release.service, release.sequence, now);
      const result = this.#db
        .prepare(
          `INSERT INTO deployments (service, sequence, previous_sequence, state, started_at, updated_at)
           VALUES (?, ?, ?, 'received', ?, ?)`,
        )
        .run(release.service, release.sequence, previousSequence, now, now);
      const deploymentId = Number(result.lastInsertRowid);
      this.#insertEvent(
        deploymentId,
        'received',
        null,
        `release ${release.version} (sequence ${release.sequence}) verified`,
        null,
        now,
      );
      return deploymentId;
    })();
    return this.deployment(id) as Deployment;
  }

  /**
   * Opens a new deployment of a release already stored here (a local rollback). Unlike
   * acceptRelease it stores nothing new and leaves the service's highest sequence as it is.
   */
  reopenRelease(service: string, sequence: number, previousSequence: number | null): Deployment {
    const now = this.#timestamp();
    const id = this.#db.transaction(() => {
      const result = this.#db
        .prepare(
          `INSERT INTO deployments (service, sequence, previous_sequence, state, started_at, updated_at)
           VALUES (?, ?, ?, 'received', ?, ?)`,
        )
        .run(service, sequence, previousSequence, now, now);
      const deploymentId = Number(result.lastInsertRowid);
      this.#insertEvent(
        deploymentId,
        'received',
        null,
        `rolling back locally to release ${sequence} (verified when it was received)`,
        null,
        now,
      );
      return deploymentId;
    })();
    return this.deployment(id) as Deployment;
  }

  release(service: string, sequence: number): StoredRelease | null {
    const row = this.#db
      .prepare<[string, number], ReleaseRow>(
        'SELECT * FROM releases WHERE service = ? AND sequence = ?',
      )
      .get(service, sequence);
    return row ? toRelease(row) : null;
  }

  releases(service: string | null, limit: number): StoredRelease[] {
    const rows = service
      ? this.#db
          .prepare<[string, number], ReleaseRow>(
            'SELECT * FROM releases WHERE service = ? ORDER BY sequence DESC LIMIT ?',
          )
          .all(service, limit)
      : this.#db
          .prepare<[number], ReleaseRow>(
            'SELECT * FROM releases ORDER BY received_at DESC, sequence DESC LIMIT ?',
          )
          .all(limit);
    return rows.map(toRelease);
  }

  deployment(id: number): Deployment | null {
    const row = this.#db
      .prepare<[number], DeploymentRow>('SELECT * FROM deployments WHERE id = ?')
      .get(id);
    return row ? toDeployment(row) : null;
  }

  deploymentsFor(service: string, sequence: number): Deployment[] {
    return this.#db
      .prepare<[string, number], DeploymentRow>(
        'SELECT * FROM deployments WHERE service = ? AND sequence = ? ORDER BY id',
      )
      .all(service, sequence)
      .map(toDeployment);
  }

  latestDeployment(service: string): Deployment | null {
    const row = this.#db
      .prepare<[string], DeploymentRow>(
        'SELECT * FROM deployments WHERE service = ? ORDER BY id DESC LIMIT 1',
      )
      .get(service);
    return row ? toDeployment(row) : null;
  }

  unfinishedDeployments(): Deployment[] {
    return this.#db
      .prepare<[], DeploymentRow>(
        `SELECT * FROM deployments WHERE state NOT IN ('done', 'failed', 'rolled_back') ORDER BY id`,
      )
      .all()
      .map(toDeployment);
  }

  /** Records that the deployment enters `state`; called before the step's side effect. */
  transition(
    id: number,
    state: DeploymentState,
    message: string,
    role: string | null = null,
  ): void {
    const now = this.#timestamp();
    this.#db.transaction(() => {
      this.#db
        .prepare('UPDATE deployments SET state = ?, updated_at = ? WHERE id = ?')
        .run(state, now, id);
      this.#insertEvent(id, state, role, message, null, now);
    })();
  }

  recordEvent(
    id: number,
    step: string,
    message: string,
    options: { role?: string | null; data?: Record<string, unknown> } = {},
  ): void {
    this.#insertEvent(
      id,
      step,
      options.role ?? null,
      message,
      options.data ?? null,
      this.#timestamp(),
    );
  }

  startAttempt(id: number): number {
    this.#db
      .prepare('UPDATE deployments SET attempt = attempt + 1, updated_at = ? WHERE id = ?')
      .run(this.#timestamp(), id);
    return (this.deployment(id) as Deployment).attempt;
  }

  /** Runs `work` in one transaction (nested calls become savepoints). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /**
   * The release is live: the deployment is done and the service's live pointer moves, atomically.
   * `liveSequence` points it elsewhere: a promotion makes its canary's release live.
   */
  completeDeployment(id: number, message: string, options: { liveSequence?: number } = {}): void {
    const now = this.#timestamp();
    this.#db.transaction(() => {
      const deployment = this.deployment(id);
      if (!deployment) return;
      const live = options.liveSequence ?? deployment.sequence;
      this.#db
        .prepare(
          `UPDATE deployments SET state = 'done', updated_at = ?, finished_at = ? WHERE id = ?`,
        )
        .run(now, now, id);
      this.#db
        .prepare(
          `UPDATE services SET live_since = CASE WHEN live_sequence IS ? THEN live_since ELSE ? END,
             live_sequence = ?, updated_at = ? WHERE service = ?`,
        )
        .run(live, now, live, now, deployment.service);
      this.#insertEvent(id, 'done', null, message, null, now);
    })();
  }

  /** The deployment ended without moving the live pointer: `failed`, or `rolled_back` after a crash. */
  endDeployment(
    id: number,
    state: 'failed' | 'rolled_back',
    error: { code: string; message: string; details: string[] },
  ): void {
    const now = this.#timestamp();
    this.#db.transaction(() => {
      this.#db
        .prepare(
          `UPDATE deployments SET state = ?, error_code = ?, error_message = ?, error_details = ?, updated_at = ?, finished_at = ?
           WHERE id = ?`,
        )
        .run(state, error.code, error.message, JSON.stringify(error.details), now, now, id);
      this.#insertEvent(
        id,
        state,
        null,
        error.message,
        { code: error.code, details: error.details },
        now,
      );
    })();
  }

  events(deploymentId: number, afterId = 0): DeploymentEvent[] {
    return this.#db
      .prepare<[number, number], EventRow>(
        'SELECT * FROM deployment_events WHERE deployment_id = ? AND id > ? ORDER BY id',
      )
      .all(deploymentId, afterId)
      .map(toEvent);
  }

  #insertEvent(
    deploymentId: number,
    step: string,
    role: string | null,
    message: string,
    data: Record<string, unknown> | null,
    at: string,
  ): void {
    this.#db
      .prepare(
        'INSERT INTO deployment_events (deployment_id, at, step, role, message, data) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(deploymentId, at, step, role, message, data ? JSON.stringify(data) : null);
  }
}
