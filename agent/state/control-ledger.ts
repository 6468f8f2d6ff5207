import type Database from 'better-sqlite3';

/**
 * Per service, the sequence of the last signed service control (maintenance, pause, resume)
 * this agent applied: a control at or below it is a replay and is refused.
 */
export class ControlLedger {
  readonly #now: () => string;
  readonly #last: Database.Statement<[string], { last_sequence: number }>;
  readonly #all: Database.Statement<[], { service: string; last_sequence: number }>;
  readonly #record: Database.Statement<[string, number, string, string]>;

  constructor(db: Database.Database, now: () => string) {
    this.#now = now;
    this.#last = db.prepare('SELECT last_sequence FROM service_controls WHERE service = ?');
    this.#all = db.prepare('SELECT service, last_sequence FROM service_controls ORDER BY service');
    // Never moves back, even if asked to.
    this.#record = db.prepare(
      `INSERT INTO service_controls (service, last_sequence, action, applied_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (service) DO UPDATE SET last_sequence = excluded.last_sequence,
         action = excluded.action, applied_at = excluded.applied_at
       WHERE excluded.last_sequence > service_controls.last_sequence`,
    );
  }

  lastSequence(service: string): number | null {
    return this.#last.get(service)?.last_sequence ?? null;
  }

  /** Every service's last applied control sequence. */
  lastSequences(): Record<string, number> {
    return Object.fromEntries(this.#all.all().map((row) => [row.service, row.last_sequence]));
  }

  recordApplied(service: string, sequence: number, action: string): void {
    this.#record.run(service, sequence, action, this.#now());
  }
}
