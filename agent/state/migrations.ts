import type { Database } from 'better-sqlite3';
import { runMigrations } from '../../shared/sqlite/migrate.ts';

/** Each entry moves the schema one `user_version` forward; never edit a shipped entry. */
const migrations: string[] = [
  `
  CREATE TABLE releases (
    service      TEXT    NOT NULL,
    sequence     INTEGER NOT NULL,
    version      TEXT    NOT NULL,
    image        TEXT    NOT NULL,
    issued_by    TEXT    NOT NULL,
    jws          TEXT    NOT NULL,
    received_at  TEXT    NOT NULL,
    PRIMARY KEY (service, sequence)
  );
  CREATE TABLE deployments (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    service           TEXT    NOT NULL,
    sequence          INTEGER NOT NULL,
    previous_sequence INTEGER,
    state             TEXT    NOT NULL,
    attempt           INTEGER NOT NULL DEFAULT 1,
    error_code        TEXT,
    error_message     TEXT,
    error_details     TEXT,
    started_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    finished_at       TEXT
  );
  CREATE INDEX deployments_by_service ON deployments (service, id);
  CREATE TABLE deployment_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id INTEGER NOT NULL REFERENCES deployments (id),
    at            TEXT    NOT NULL,
    step          TEXT    NOT NULL,
    role          TEXT,
    message       TEXT    NOT NULL,
    data          TEXT
  );
  CREATE INDEX events_by_deployment ON deployment_events (deployment_id, id);
  CREATE TABLE services (
    service          TEXT PRIMARY KEY,
    live_sequence    INTEGER,
    highest_sequence INTEGER NOT NULL,
    live_since       TEXT,
    updated_at       TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE service_controls (
    service       TEXT PRIMARY KEY,
    last_sequence INTEGER NOT NULL,
    action        TEXT    NOT NULL,
    applied_at    TEXT    NOT NULL
  );
  `,
];

export function migrate(db: Database): void {
  runMigrations(db, migrations);
}
