import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../../shared/api/controller-api.ts';
import type { AuditRow } from './rows.ts';

/** Who did what: publications, hosts added and removed, joins, dashboard logins. Append-only. */
export class AuditLog {
  readonly #now: () => string;
  readonly #append: Database.Statement<[string, string, string, string]>;
  readonly #list: Database.Statement<[number], AuditRow>;

  constructor(db: Database.Database, now: () => string) {
    this.#now = now;
    this.#append = db.prepare(
      'INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)',
    );
    this.#list = db.prepare(
      'SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?',
    );
  }

  append(actor: string, action: string, detail: string): void {
    this.#append.run(this.#now(), actor, action, detail);
  }

  /** Newest first. */
  list(limit: number): AuditEntry[] {
    return this.#list.all(limit);
  }
}
