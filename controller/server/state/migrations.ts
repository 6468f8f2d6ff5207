import type { Database } from 'better-sqlite3';
import { runMigrations } from '../../../shared/sqlite/migrate.ts';

/** Each entry moves the schema one `user_version` forward; never edit a shipped entry. */
const migrations: string[] = [
  `
  CREATE TABLE hosts (
    name                  TEXT PRIMARY KEY,
    state                 TEXT NOT NULL CHECK (state IN ('pending', 'active', 'revoked')),
    token_hash            TEXT NOT NULL,
    token_expires_at      TEXT NOT NULL,
    token_used_at         TEXT,
    signing_public_key    TEXT,
    encryption_public_key TEXT,
    created_at            TEXT NOT NULL,
    joined_at             TEXT,
    revoked_at            TEXT,
    last_seen_at          TEXT
  );
  CREATE TABLE host_status (
    host        TEXT PRIMARY KEY REFERENCES hosts (name),
    services    TEXT NOT NULL,
    sequences   TEXT NOT NULL,
    reported_at TEXT NOT NULL
  );
  CREATE TABLE releases (
    service      TEXT    NOT NULL,
    sequence     INTEGER NOT NULL,
    version      TEXT    NOT NULL,
    image        TEXT    NOT NULL,
    issued_by    TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    rollback_of  INTEGER,
    jws          TEXT    NOT NULL,
    PRIMARY KEY (service, sequence)
  );
  CREATE TABLE release_hosts (
    service    TEXT    NOT NULL,
    sequence   INTEGER NOT NULL,
    host       TEXT    NOT NULL REFERENCES hosts (name),
    state      TEXT    NOT NULL,
    error      TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (service, sequence, host),
    FOREIGN KEY (service, sequence) REFERENCES releases (service, sequence)
  );
  CREATE INDEX release_hosts_by_host ON release_hosts (host, service, sequence);
  CREATE TABLE progress_events (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    service  TEXT    NOT NULL,
    sequence INTEGER NOT NULL,
    host     TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    step     TEXT    NOT NULL,
    role     TEXT,
    message  TEXT    NOT NULL,
    data     TEXT,
    FOREIGN KEY (service, sequence, host) REFERENCES release_hosts (service, sequence, host)
  );
  CREATE INDEX progress_events_by_release ON progress_events (service, sequence, id);
  CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE controls (
    service      TEXT    NOT NULL,
    sequence     INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    message      TEXT,
    max_pause_ms INTEGER,
    issued_by    TEXT    NOT NULL,
    published_by TEXT    NOT NULL,
    published_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    jws          TEXT    NOT NULL,
    PRIMARY KEY (service, sequence)
  );
  CREATE TABLE control_hosts (
    service    TEXT    NOT NULL,
    sequence   INTEGER NOT NULL,
    host       TEXT    NOT NULL REFERENCES hosts (name),
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'applied', 'refused')),
    error      TEXT,
    routes     TEXT,
    updated_at TEXT    NOT NULL,
    PRIMARY KEY (service, sequence, host),
    FOREIGN KEY (service, sequence) REFERENCES controls (service, sequence)
  );
  CREATE INDEX control_hosts_by_host ON control_hosts (host, state, service, sequence);
  `,
];

export function migrate(db: Database): void {
  runMigrations(db, migrations);
}
