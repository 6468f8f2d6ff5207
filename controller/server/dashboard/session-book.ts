import { randomBytes } from 'node:crypto';

export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const MAX_SESSIONS = 10_000;

interface Session {
  operator: string;
  expiresAtMs: number;
}

/** Dashboard sessions, in memory: a restart signs everyone out, which is acceptable. */
export class SessionBook {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** Opens a session for an operator whose token was verified; returns its random id. */
  open(operator: string): { id: string; maxAgeSeconds: number } {
    this.#forgetExpired();
    if (this.#sessions.size >= MAX_SESSIONS) {
      const oldest = this.#sessions.keys().next();
      if (!oldest.done) this.#sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { operator, expiresAtMs: this.#now().getTime() + SESSION_TTL_MS });
    return { id, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  /** The operator signed in with this session id, or null when unknown or expired. */
  operatorOf(id: string | undefined): string | null {
    if (!id) return null;
    const session = this.#sessions.get(id);
    if (!session) return null;
    if (session.expiresAtMs <= this.#now().getTime()) {
      this.#sessions.delete(id);
      return null;
    }
    return session.operator;
  }

  close(id: string | undefined): void {
    if (id) this.#sessions.delete(id);
  }

  #forgetExpired(): void {
    const nowMs = this.#now().getTime();
    for (const [id, session] of this.#sessions) {
      if (session.expiresAtMs <= nowMs) this.#sessions.delete(id);
    }
  }
}
