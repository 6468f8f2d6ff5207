/**
 * One deployment or repair per service at a time: the deployer and the reconciler both take
 * the service's lock, so the reconciler never "repairs" a host that is mid-switch.
 */
export class ServiceLocks {
  readonly #held = new Set<string>();

  tryAcquire(service: string): boolean {
    if (this.#held.has(service)) return false;
    this.#held.add(service);
    return true;
  }

  release(service: string): void {
    this.#held.delete(service);
  }

  isHeld(service: string): boolean {
    return this.#held.has(service);
  }
}
