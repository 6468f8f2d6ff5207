import type Database from 'better-sqlite3';
import type { StoredRelease } from './records.ts';
import { toRelease, type ReleaseRow } from './rows.ts';

/** Releases as uploaded (signed JWS, secrets sealed), one row per service and sequence. */
export class ReleaseTable {
  readonly #insert: Database.Statement<
    [string, number, string, string, string, string, string, number | null, string]
  >;
  readonly #get: Database.Statement<[string, number], ReleaseRow>;
  readonly #highest: Database.Statement<[string], { highest: number | null }>;
  readonly #listAll: Database.Statement<[number], ReleaseRow>;
  readonly #listService: Database.Statement<[string, number], ReleaseRow>;
  readonly #latestForHost: Database.Statement<[string], ReleaseRow>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      `INSERT INTO releases (service, sequence, version, image, issued_by, published_by,
         published_at, rollback_of, jws)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#get = db.prepare('SELECT * FROM releases WHERE service = ? AND sequence = ?');
    this.#highest = db.prepare('SELECT MAX(sequence) AS highest FROM releases WHERE service = ?');
    this.#listAll = db.prepare(
      'SELECT * FROM releases ORDER BY published_at DESC, sequence DESC LIMIT ?',
    );
    this.#listService = db.prepare(
      'SELECT * FROM releases WHERE service = ? ORDER BY sequence DESC LIMIT ?',
    );
    this.#latestForHost = db.prepare(
      `SELECT r.* FROM releases r
       JOIN (SELECT service, MAX(sequence) AS sequence FROM release_hosts
             WHERE host = ? GROUP BY service) latest
         ON latest.service = r.service AND latest.sequence = r.sequence
       ORDER BY r.service`,
    );
  }

  insert(release: StoredRelease): void {
    this.#insert.run(
      release.service,
      release.sequence,
      release.version,
      release.image,
      release.issuedBy,
      release.publishedBy,
      release.publishedAt,
      release.rollbackOf,
      release.jws,
    );
  }

  get(service: string, sequence: number): StoredRelease | null {
    const row = this.#get.get(service, sequence);
    return row ? toRelease(row) : null;
  }

  highestSequence(service: string): number | null {
    return this.#highest.get(service)?.highest ?? null;
  }

  /** Newest first: by sequence for one service, by publication across services. */
  list(service: string | null, limit: number): StoredRelease[] {
    const rows = service ? this.#listService.all(service, limit) : this.#listAll.all(limit);
    return rows.map(toRelease);
  }

  /** Per service, the newest release that names `host` as a target. */
  latestForHost(host: string): StoredRelease[] {
    return this.#latestForHost.all(host).map(toRelease);
  }
}
