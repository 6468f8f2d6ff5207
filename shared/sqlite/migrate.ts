import type { Database } from 'better-sqlite3';

/**
 * Moves a database forward through `migrations`, one `user_version` per entry, each in its own
 * transaction. The agent's and the controller's stores each own their list; never edit a
 * shipped entry, append a new one.
 */
export function runMigrations(db: Database, migrations: readonly string[]): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < migrations.length; version++) {
    const sql = migrations[version];
    if (sql === undefined) break;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
