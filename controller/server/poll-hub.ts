/** What a held poll listens on to learn that its caller went away (a ServerResponse does). */
export interface CallerConnection {
  once(event: 'close', listener: () => void): unknown;
}

interface Waiter {
  resolve: (woken: boolean) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Long-polls held open, keyed by what they wait for (a host name, a release). A publish wakes
 * exactly the polls it concerns. Each held poll costs one promise, one timer and one set entry.
 */
export class PollHub {
  readonly #waiters = new Map<string, Set<Waiter>>();
  #held = 0;

  /**
   * Resolves true when `wake(key)` is called, false after `timeoutMs` or when the caller's
   * connection closes first.
   */
  wait(key: string, timeoutMs: number, connection?: CallerConnection): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const waiter: Waiter = { resolve, timer: undefined };
      waiter.timer = setTimeout(() => this.#settle(key, waiter, false), timeoutMs);
      let waiters = this.#waiters.get(key);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(key, waiters);
      }
      waiters.add(waiter);
      this.#held += 1;
      connection?.once('close', () => this.#settle(key, waiter, false));
    });
  }

  /** Answers every poll held on `key`; returns how many there were. */
  wake(key: string): number {
    const waiters = this.#waiters.get(key);
    if (!waiters) return 0;
    const count = waiters.size;
    for (const waiter of [...waiters]) this.#settle(key, waiter, true);
    return count;
  }

  /** Answers every held poll, e.g. before the server closes. */
  wakeAll(): void {
    for (const key of [...this.#waiters.keys()]) this.wake(key);
  }

  isHeld(key: string): boolean {
    return this.#waiters.has(key);
  }

  get heldCount(): number {
    return this.#held;
  }

  #settle(key: string, waiter: Waiter, woken: boolean): void {
    const waiters = this.#waiters.get(key);
    if (!waiters?.delete(waiter)) return;
    if (waiters.size === 0) this.#waiters.delete(key);
    this.#held -= 1;
    clearTimeout(waiter.timer);
    waiter.resolve(woken);
  }
}
