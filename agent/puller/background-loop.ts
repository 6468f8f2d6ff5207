/** A long-running loop that can be started once and stopped (aborted, then awaited). */
export class BackgroundLoop {
  readonly #body: (signal: AbortSignal) => Promise<void>;
  #stop = new AbortController();
  #running: Promise<void> | null = null;

  constructor(body: (signal: AbortSignal) => Promise<void>) {
    this.#body = body;
  }

  /** Aborted when the loop is stopped; for work started outside the loop body that must end with it. */
  get signal(): AbortSignal {
    return this.#stop.signal;
  }

  start(): void {
    if (this.#running) return;
    this.#stop = new AbortController();
    this.#running = this.#body(this.#stop.signal);
  }

  /** Aborts the loop's signal (ending held polls and waits); resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#running;
    this.#running = null;
  }
}
