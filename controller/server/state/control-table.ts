import type Database from 'better-sqlite3';
import type { AgentRouteControls } from '../../../shared/api/agent-api.ts';
import type { ControlReport } from '../../../shared/api/controller-api.ts';

/** A signed service control as uploaded, with what the controller read from it. */
export interface StoredControl {
  service: string;
  sequence: number;
  action: string;
  message: string | null;
  maxPauseMs: number | null;
  issuedBy: string;
  publishedBy: string;
  publishedAt: string;
  expiresAt: string;
  jws: string;
}

/** One target host's last word on a control. */
export interface ControlHostState {
  host: string;
  state: 'pending' | 'applied' | 'refused';
  error: { code: string; message: string } | null;
  routes: AgentRouteControls[];
  updatedAt: string;
}

interface ControlRow {
  service: string;
  sequence: number;
  action: string;
  message: string | null;
  max_pause_ms: number | null;
  issued_by: string;
  published_by: string;
  published_at: string;
  expires_at: string;
  jws: string;
}

interface ControlHostRow {
  host: string;
  state: ControlHostState['state'];
  error: string | null;
  routes: string | null;
  updated_at: string;
}

function toControl(row: ControlRow): StoredControl {
  return {
    service: row.service,
    sequence: row.sequence,
    action: row.action,
    message: row.message,
    maxPauseMs: row.max_pause_ms,
    issuedBy: row.issued_by,
    publishedBy: row.published_by,
    publishedAt: row.published_at,
    expiresAt: row.expires_at,
    jws: row.jws,
  };
}

function toHostState(row: ControlHostRow): ControlHostState {
  return {
    host: row.host,
    state: row.state,
    error: row.error ? (JSON.parse(row.error) as ControlHostState['error']) : null,
    routes: row.routes ? (JSON.parse(row.routes) as AgentRouteControls[]) : [],
    updatedAt: row.updated_at,
  };
}

/**
 * Service controls (maintenance, pause, resume) as uploaded, signed, and per target host whether
 * it applied or refused each. A control stays pending for a host until that host reports on it.
 */
export class ControlTable {
  readonly #now: () => string;
  readonly #insert: Database.Statement<ControlRow>;
  readonly #openHost: Database.Statement<[string, number, string, string]>;
  readonly #get: Database.Statement<[string, number], ControlRow>;
  readonly #highest: Database.Statement<[string], { highest: number | null }>;
  readonly #listAll: Database.Statement<[number], ControlRow>;
  readonly #listService: Database.Statement<[string, number], ControlRow>;
  readonly #hosts: Database.Statement<[string, number], ControlHostRow>;
  readonly #pendingForHost: Database.Statement<[string, number], ControlRow>;
  readonly #record: Database.Statement<
    [string, string | null, string, string, string, number, string]
  >;

  constructor(db: Database.Database, now: () => string) {
    this.#now = now;
    this.#insert = db.prepare(
      `INSERT INTO controls (service, sequence, action, message, max_pause_ms, issued_by,
         published_by, published_at, expires_at, jws)
       VALUES (@service, @sequence, @action, @message, @max_pause_ms, @issued_by,
         @published_by, @published_at, @expires_at, @jws)`,
    );
    this.#openHost = db.prepare(
      `INSERT INTO control_hosts (service, sequence, host, state, updated_at)
       VALUES (?, ?, ?, 'pending', ?)`,
    );
    this.#get = db.prepare('SELECT * FROM controls WHERE service = ? AND sequence = ?');
    this.#highest = db.prepare('SELECT MAX(sequence) AS highest FROM controls WHERE service = ?');
    this.#listAll = db.prepare(
      'SELECT * FROM controls ORDER BY published_at DESC, sequence DESC LIMIT ?',
    );
    this.#listService = db.prepare(
      'SELECT * FROM controls WHERE service = ? ORDER BY sequence DESC LIMIT ?',
    );
    this.#hosts = db.prepare(
      `SELECT host, state, error, routes, updated_at FROM control_hosts
       WHERE service = ? AND sequence = ? ORDER BY host`,
    );
    this.#pendingForHost = db.prepare(
      `SELECT c.* FROM controls c
       JOIN control_hosts ch ON ch.service = c.service AND ch.sequence = c.sequence
       WHERE ch.host = ? AND ch.state = 'pending'
       ORDER BY c.service, c.sequence LIMIT ?`,
    );
    this.#record = db.prepare(
      `UPDATE control_hosts SET state = ?, error = ?, routes = ?, updated_at = ?
       WHERE service = ? AND sequence = ? AND host = ? AND state = 'pending'`,
    );
  }

  /** Stores the control and marks each target pending. */
  insert(control: StoredControl, targets: readonly string[]): void {
    this.#insert.run({
      service: control.service,
      sequence: control.sequence,
      action: control.action,
      message: control.message,
      max_pause_ms: control.maxPauseMs,
      issued_by: control.issuedBy,
      published_by: control.publishedBy,
      published_at: control.publishedAt,
      expires_at: control.expiresAt,
      jws: control.jws,
    });
    const now = this.#now();
    for (const host of targets) this.#openHost.run(control.service, control.sequence, host, now);
  }

  get(service: string, sequence: number): StoredControl | null {
    const row = this.#get.get(service, sequence);
    return row ? toControl(row) : null;
  }

  highestSequence(service: string): number | null {
    return this.#highest.get(service)?.highest ?? null;
  }

  /** Newest first: by sequence for one service, by publication across services. */
  list(service: string | null, limit: number): StoredControl[] {
    const rows = service ? this.#listService.all(service, limit) : this.#listAll.all(limit);
    return rows.map(toControl);
  }

  hosts(service: string, sequence: number): ControlHostState[] {
    return this.#hosts.all(service, sequence).map(toHostState);
  }

  /** Controls the host has not reported on yet, by service and sequence. */
  pendingForHost(host: string, limit = 100): StoredControl[] {
    return this.#pendingForHost.all(host, limit).map(toControl);
  }

  /** Records a host's report; false unless the control targets it and was still pending there. */
  record(host: string, report: ControlReport): boolean {
    const state = report.outcome === 'applied' ? 'applied' : 'refused';
    return (
      this.#record.run(
        state,
        report.error ? JSON.stringify(report.error) : null,
        JSON.stringify(report.routes),
        this.#now(),
        report.service,
        report.sequence,
        host,
      ).changes > 0
    );
  }
}
