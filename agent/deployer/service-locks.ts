import { setTimeout as sleep } from 'node:timers/promises';

export type LockHolder = 'deployment' | 'reconciler';

/**
 * One deployment or repair per service at a time: the deployer and the reconciler both take
 * the service's lock, so the reconciler never "repairs" a host that is mid-switch.
 */
export class ServiceLocks {
  readonly #held = new Map<string, LockHolder>();

  tryAcquire(service: string, holder: LockHolder): boolean {
    if (this.#held.has(service)) return false;
    this.#held.set(service, holder);
    return true;
  }

  /** Waits (polling) while a short-lived holder has the lock; false when it is still held at the deadline. */
  async acquire(service: string, holder: LockHolder, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tryAcquire(service, holder)) {
      if (Date.now() >= deadline) return false;
      await sleep(20);
    }
    return true;
  }

  holder(service: string): LockHolder | null {
    return this.#held.get(service) ?? null;
  }

  release(service: string): void {
    this.#held.delete(service);
  }
}
