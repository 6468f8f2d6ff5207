import type Database from 'better-sqlite3';
import type { HostReportedStatus, StoredHost } from './records.ts';
import { toHost, toHostStatus, type HostRow, type HostStatusRow } from './rows.ts';

/** Hosts: join token hashes, public keys, lifecycle (pending → active → revoked), last contact. */
export class HostTable {
  readonly #now: () => string;
  readonly #get: Database.Statement<[string], HostRow>;
  readonly #list: Database.Statement<[], HostRow>;
  readonly #issue: Database.Statement<[string, string, string, string]>;
  readonly #activate: Database.Statement<[string, string, string, string, string]>;
  readonly #revoke: Database.Statement<[string, string]>;
  readonly #touch: Database.Statement<[string, string]>;
  readonly #saveStatus: Database.Statement<[string, string, string, string]>;
  readonly #statuses: Database.Statement<[], HostStatusRow>;

  constructor(db: Database.Database, now: () => string) {
    this.#now = now;
    this.#get = db.prepare('SELECT * FROM hosts WHERE name = ?');
    this.#list = db.prepare('SELECT * FROM hosts ORDER BY name');
    // A revoked host may be added again: it starts over as pending, with its old keys dropped.
    this.#issue = db.prepare(
      `INSERT INTO hosts (name, state, token_hash, token_expires_at, created_at)
       VALUES (?, 'pending', ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET
         state = 'pending', token_hash = excluded.token_hash,
         token_expires_at = excluded.token_expires_at, token_used_at = NULL,
         signing_public_key = NULL, encryption_public_key = NULL,
         created_at = excluded.created_at, joined_at = NULL, revoked_at = NULL
       WHERE hosts.state != 'active'`,
    );
    this.#activate = db.prepare(
      `UPDATE hosts SET state = 'active', signing_public_key = ?, encryption_public_key = ?,
         joined_at = ?, token_used_at = ?
       WHERE name = ? AND state = 'pending' AND token_used_at IS NULL`,
    );
    this.#revoke = db.prepare(
      `UPDATE hosts SET state = 'revoked', revoked_at = ? WHERE name = ? AND state != 'revoked'`,
    );
    this.#touch = db.prepare('UPDATE hosts SET last_seen_at = ? WHERE name = ?');
    this.#saveStatus = db.prepare(
      `INSERT INTO host_status (host, services, sequences, reported_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (host) DO UPDATE SET services = excluded.services,
         sequences = excluded.sequences, reported_at = excluded.reported_at`,
    );
    this.#statuses = db.prepare('SELECT * FROM host_status');
  }

  get(name: string): StoredHost | null {
    const row = this.#get.get(name);
    return row ? toHost(row) : null;
  }

  list(): StoredHost[] {
    return this.#list.all().map(toHost);
  }

  /** A pending host with a fresh join secret hash; false when the host is active. */
  issueToken(name: string, tokenHash: string, expiresAt: string): boolean {
    return this.#issue.run(name, tokenHash, expiresAt, this.#now()).changes > 0;
  }

  /** Marks the join token used and the host active with its keys; false if it was not pending. */
  activate(name: string, keys: { signingPublicKey: string; encryptionPublicKey: string }): boolean {
    const now = this.#now();
    return (
      this.#activate.run(keys.signingPublicKey, keys.encryptionPublicKey, now, now, name).changes >
      0
    );
  }

  /** Revokes the host; false when it is unknown or revoked already. */
  revoke(name: string): boolean {
    return this.#revoke.run(this.#now(), name).changes > 0;
  }

  touch(name: string): void {
    this.#touch.run(this.#now(), name);
  }

  saveStatus(name: string, status: Omit<HostReportedStatus, 'reportedAt'>): void {
    this.#saveStatus.run(
      name,
      JSON.stringify(status.services),
      JSON.stringify(status.sequences),
      this.#now(),
    );
  }

  statuses(): Map<string, HostReportedStatus> {
    return new Map(this.#statuses.all().map((row) => [row.host, toHostStatus(row)]));
  }
}
