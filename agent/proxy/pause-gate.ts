/** How a held request ends: released by resume, or timed out at the max pause. */
export type HoldOutcome = 'resumed' | 'expired';

/** Held requests per paused service; past this, new requests get 503 instead of waiting. */
export const maxHeldRequests = 10_000;

interface Held {
  readonly timer: NodeJS.Timeout;
  readonly onDone: (outcome: HoldOutcome) => void;
}

/**
 * Holds a paused service's new requests, each until resume or `maxPauseMs`. Memory is bounded
 * by `capacity`; a held request whose client leaves is dropped at once.
 */
export class PauseGate {
  maxPauseMs: number;
  readonly #capacity: number;
  readonly #held = new Set<Held>();

  constructor(maxPauseMs: number, capacity = maxHeldRequests) {
    this.maxPauseMs = maxPauseMs;
    this.#capacity = capacity;
  }

  get heldCount(): number {
    return this.#held.size;
  }

  /**
   * Holds one request; `onDone` runs once, on resume or expiry. Returns a cancel function (call
   * it when the client goes away), or undefined when the gate is full and nothing is held.
   */
  hold(onDone: (outcome: HoldOutcome) => void): (() => void) | undefined {
    if (this.#held.size >= this.#capacity) return undefined;
    const held: Held = {
      onDone,
      timer: setTimeout(() => {
        this.#held.delete(held);
        onDone('expired');
      }, this.maxPauseMs),
    };
    this.#held.add(held);
    return () => {
      clearTimeout(held.timer);
      this.#held.delete(held);
    };
  }

  /** Lets every held request go on, in arrival order. */
  release(): void {
    const held = [...this.#held];
    this.#held.clear();
    for (const { timer, onDone } of held) {
      clearTimeout(timer);
      onDone('resumed');
    }
  }
}
