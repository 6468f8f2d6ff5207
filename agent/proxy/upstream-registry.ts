import type { Logger } from '../../shared/logger.ts';
import type { DrainResult } from './admin-protocol.ts';
import { Upstream } from './upstream.ts';

/**
 * Every target the proxy has a pool for. A pool is reused while any route points at its target
 * and closed once no route does and its last in-flight request has ended.
 */
export class UpstreamRegistry {
  readonly #byTarget = new Map<string, Upstream>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /** The upstream for `target`, created if needed and taken back from retirement if retired. */
  acquire(target: string): Upstream {
    const existing = this.#byTarget.get(target);
    if (existing !== undefined) {
      existing.isRetired = false;
      return existing;
    }
    const upstream = new Upstream(target, (idle) => this.#closeRetired(idle));
    this.#byTarget.set(target, upstream);
    return upstream;
  }

  /** Retires every upstream whose target is not in `targets`. */
  retainOnly(targets: ReadonlySet<string>): void {
    for (const upstream of [...this.#byTarget.values()]) {
      if (!targets.has(upstream.target) && !upstream.isRetired) upstream.retire();
    }
  }

  /**
   * Waits for `target`'s in-flight requests to end. At the timeout, requests keep running, but
   * open tunnels (WebSockets, which may last for hours) are cut if no route uses the target.
   */
  async drain(target: string, timeoutMs: number): Promise<DrainResult> {
    const upstream = this.#byTarget.get(target);
    if (upstream === undefined) return { drained: true, remaining: 0 };
    const drained = await upstream.whenIdle(timeoutMs);
    const remaining = drained ? 0 : upstream.inFlight;
    if (!drained && upstream.isRetired) {
      const cut = upstream.cutTunnels();
      if (cut > 0) this.#logger.info({ target, tunnels: cut }, 'drain timed out: tunnels cut');
    }
    return { drained, remaining };
  }

  get inFlight(): number {
    let total = 0;
    for (const upstream of this.#byTarget.values()) total += upstream.inFlight;
    return total;
  }

  /** Destroys every pool, cutting whatever is still in flight. */
  async destroyAll(): Promise<void> {
    const upstreams = [...this.#byTarget.values()];
    this.#byTarget.clear();
    await Promise.all(upstreams.map((upstream) => upstream.destroy()));
  }

  #closeRetired(upstream: Upstream): void {
    if (this.#byTarget.get(upstream.target) !== upstream) return;
    this.#byTarget.delete(upstream.target);
    upstream.close().catch((error: unknown) => {
      this.#logger.warn({ target: upstream.target, err: error }, 'closing upstream pool failed');
    });
  }
}
