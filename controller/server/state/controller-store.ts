import Database from 'better-sqlite3';
import { AuditLog } from './audit-log.ts';
import { ControlTable } from './control-table.ts';
import { HostTable } from './host-table.ts';
import { migrate } from './migrations.ts';
import { ProgressTable } from './progress-table.ts';
import { ReleaseTable } from './release-table.ts';

/**
 * The controller's durable memory: hosts, releases, per-host progress, service controls, last
 * reported status and the audit log. All SQL of the controller lives in this folder. It never
 * holds a secret in clear: join secrets are stored as hashes, and release secrets arrive sealed
 * per host.
 */
export class ControllerStore {
  readonly hosts: HostTable;
  readonly releases: ReleaseTable;
  readonly progress: ProgressTable;
  readonly audit: AuditLog;
  readonly controls: ControlTable;
  readonly #db: Database.Database;

  constructor(path: string, options: { now?: () => Date } = {}) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('foreign_keys = ON');
    this.#db.pragma('busy_timeout = 5000');
    migrate(this.#db);
    const clock = options.now ?? (() => new Date());
    const now = (): string => clock().toISOString();
    this.hosts = new HostTable(this.#db, now);
    this.releases = new ReleaseTable(this.#db);
    this.progress = new ProgressTable(this.#db, now);
    this.audit = new AuditLog(this.#db, now);
    this.controls = new ControlTable(this.#db, now);
  }

  /** Runs `work` in one transaction: all of its writes land, or none do. */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  close(): void {
    this.#db.close();
  }
}
