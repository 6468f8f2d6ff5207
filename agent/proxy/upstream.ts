import type { Duplex } from 'node:stream';
import { Pool } from 'undici';
import { UpstreamPool } from './upstream-pool.ts';

const upgradePoolOptions: Pool.Options = {
  pipelining: 1,
  bodyTimeout: 0,
  connect: { timeout: 10_000 },
};

/**
 * One target (`ip:port`): its keep-alive connection pool and a count of requests in flight to it.
 * Counting is a plain integer because begin/end run on the event loop, never in parallel.
 * Upgrades (WebSockets) go through an undici pool made on first use: they are rare and
 * long-lived, and undici hands over the upgraded socket.
 */
export class Upstream {
  readonly target: string;
  readonly pool: UpstreamPool;
  #upgradePool: Pool | undefined;
  inFlight = 0;
  /** No route points here any more; the pool closes once the last request ends. */
  isRetired = false;
  /** Client sockets of open upgrade tunnels (WebSockets) to this target; also in `inFlight`. */
  readonly tunnels = new Set<Duplex>();
  readonly #idleWaiters = new Set<() => void>();
  readonly #onRetiredIdle: (upstream: Upstream) => void;

  constructor(target: string, onRetiredIdle: (upstream: Upstream) => void) {
    this.target = target;
    this.pool = new UpstreamPool(target);
    this.#onRetiredIdle = onRetiredIdle;
  }

  get upgradePool(): Pool {
    this.#upgradePool ??= new Pool(`http://${this.target}`, upgradePoolOptions);
    return this.#upgradePool;
  }

  begin(): void {
    this.inFlight += 1;
  }

  end(): void {
    this.inFlight -= 1;
    if (this.inFlight === 0) this.#becameIdle();
  }

  retire(): void {
    this.isRetired = true;
    if (this.inFlight === 0) this.#onRetiredIdle(this);
  }

  /** Resolves true when nothing is in flight, false when `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters.delete(onIdle);
        resolve(false);
      }, timeoutMs);
      const onIdle = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.add(onIdle);
    });
  }

  /** Closes every open tunnel to this target, as a drain does at its timeout. */
  cutTunnels(): number {
    const count = this.tunnels.size;
    for (const socket of this.tunnels) socket.destroy();
    return count;
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.#upgradePool?.close()]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.pool.destroy(), this.#upgradePool?.destroy()]);
  }

  #becameIdle(): void {
    if (this.#idleWaiters.size > 0) {
      const waiters = [...this.#idleWaiters];
      this.#idleWaiters.clear();
      for (const resolve of waiters) resolve();
    }
    if (this.isRetired) this.#onRetiredIdle(this);
  }
}
