import type { Logger } from '../../../shared/logger.ts';
import type { CertificateIssuer } from './acme-issuer.ts';
import type { CertificateStore } from './certificate-store.ts';

export const defaultRenewBeforeDays = 30;
export const defaultRenewCheckIntervalMs = 12 * 60 * 60 * 1000;
const dayMs = 24 * 60 * 60 * 1000;
const firstRetryDelayMs = 60_000;
const stopWaitMs = 2_000;

export interface AcmeMaintainerOptions {
  store: CertificateStore;
  issuer: CertificateIssuer;
  logger: Logger;
  /** Renew when less than this many days remain. */
  renewBeforeDays?: number;
  /** How often every ACME host is checked. */
  checkIntervalMs?: number;
  /** Injected by tests to move time. */
  now?: () => number;
}

/**
 * Keeps a certificate for every ACME host: issues one when a host appears, checks all hosts
 * at start and every `checkIntervalMs`, and renews any within `renewBeforeDays` of expiry or
 * held from another source or CA. One issuance runs at a time; a failure is retried after 1,
 * 2, 4… minutes (capped at the check interval) and the previous certificate keeps serving.
 */
export class AcmeMaintainer {
  readonly #store: CertificateStore;
  readonly #issuer: CertificateIssuer;
  readonly #logger: Logger;
  readonly #renewBeforeMs: number;
  readonly #checkIntervalMs: number;
  readonly #now: () => number;
  #hosts = new Set<string>();
  readonly #queue = new Set<string>();
  readonly #failures = new Map<string, { count: number; message: string }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #working: Promise<void> | undefined;
  #isStarted = false;
  #isStopped = false;

  constructor(options: AcmeMaintainerOptions) {
    this.#store = options.store;
    this.#issuer = options.issuer;
    this.#logger = options.logger;
    this.#renewBeforeMs = (options.renewBeforeDays ?? defaultRenewBeforeDays) * dayMs;
    this.#checkIntervalMs = options.checkIntervalMs ?? defaultRenewCheckIntervalMs;
    this.#now = options.now ?? Date.now;
  }

  /** The hosts that should have ACME certificates; new ones are checked at once once started. */
  setHosts(hosts: Iterable<string>): void {
    const previous = this.#hosts;
    this.#hosts = new Set(hosts);
    for (const host of this.#failures.keys()) {
      if (!this.#hosts.has(host)) this.#failures.delete(host);
    }
    if (!this.#isStarted) return;
    for (const host of this.#hosts) if (!previous.has(host)) this.#checkHost(host);
  }

  /** Checks every host now and then every check interval. Call once HTTP-01 can be answered. */
  start(): void {
    if (this.#isStarted || this.#isStopped) return;
    this.#isStarted = true;
    this.checkAll();
    const timer = setInterval(() => this.checkAll(), this.#checkIntervalMs);
    timer.unref();
    this.#timers.add(timer);
  }

  checkAll(): void {
    for (const host of this.#hosts) this.#checkHost(host);
  }

  /** The last failure for `host`, until an issuance for it succeeds. */
  lastError(host: string): string | undefined {
    return this.#failures.get(host)?.message;
  }

  /** Stops the timers; waits briefly for an issuance in progress so its certificate is kept. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#queue.clear();
    const working = this.#working;
    if (working === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      working,
      new Promise((resolve) => (timer = setTimeout(resolve, stopWaitMs))),
    ]);
    clearTimeout(timer);
  }

  #needsCertificate(host: string): boolean {
    const stored = this.#store.get(host);
    if (stored === undefined || stored.origin.source !== 'acme') return true;
    if (stored.origin.directoryUrl !== this.#issuer.directoryUrl) return true;
    return stored.notAfterMs - this.#now() < this.#renewBeforeMs;
  }

  #checkHost(host: string): void {
    if (this.#isStopped || !this.#needsCertificate(host)) return;
    this.#queue.add(host);
    this.#startWorking();
  }

  #startWorking(): void {
    if (this.#working !== undefined || this.#queue.size === 0 || this.#isStopped) return;
    this.#working = this.#drainQueue().finally(() => {
      this.#working = undefined;
      this.#startWorking();
    });
  }

  async #drainQueue(): Promise<void> {
    for (const host of this.#queue) {
      this.#queue.delete(host);
      if (this.#isStopped) return;
      if (!this.#hosts.has(host) || !this.#needsCertificate(host)) continue;
      await this.#issue(host);
    }
  }

  async #issue(host: string): Promise<void> {
    const renewing = this.#store.get(host) !== undefined;
    const startedMs = performance.now();
    this.#logger.info({ host, directoryUrl: this.#issuer.directoryUrl }, 'ACME issuance started');
    try {
      const { certificatePem, privateKeyPem } = await this.#issuer.issue(host);
      const stored = await this.#store.put(host, certificatePem, privateKeyPem, {
        source: 'acme',
        directoryUrl: this.#issuer.directoryUrl,
      });
      this.#failures.delete(host);
      this.#logger.info(
        {
          host,
          renewed: renewing,
          serialNumber: stored.serialNumber,
          notAfter: new Date(stored.notAfterMs).toISOString(),
          durationMs: Math.round(performance.now() - startedMs),
        },
        'ACME certificate stored',
      );
    } catch (error) {
      const count = (this.#failures.get(host)?.count ?? 0) + 1;
      const message = error instanceof Error ? error.message : String(error);
      this.#failures.set(host, { count, message });
      const retryMs = Math.min(firstRetryDelayMs * 2 ** (count - 1), this.#checkIntervalMs);
      this.#logger.warn({ host, err: error, failures: count, retryMs }, 'ACME issuance failed');
      this.#retryLater(host, retryMs);
    }
  }

  #retryLater(host: string, delayMs: number): void {
    if (this.#isStopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#checkHost(host);
    }, delayMs);
    timer.unref();
    this.#timers.add(timer);
  }
}
