import { createHash } from 'node:crypto';
import type { ReleaseRefusal } from '../../shared/api/controller-api.ts';
import { isBerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { PullClock } from './pull-clock.ts';
import { type UnverifiedClaim, unverifiedClaimOf } from './unverified-claim.ts';

/** Refused releases remembered (by digest) so a source repeating one is not reported again. */
const REMEMBERED_REFUSALS = 1_000;

/** A moment between a deployment ending and the next try, so a lock held by the reconciler is not hammered. */
export const PENDING_RETRY_GAP_MS = 1_000;

/** Where a release came from. A plain URL serves every host of the fleet, so some refusals are expected there. */
export type ReleaseSource = 'controller' | 'url';
/** A release that waited for a running deployment is checked again; meanwhile a newer one may have gone in. */
type Origin = ReleaseSource | 'waiting';
const expectedRefusals: Record<Origin, ReadonlySet<string>> = {
  controller: new Set(),
  url: new Set(['HOST_NOT_TARGETED', 'RELEASE_REPLAYED']),
  waiting: new Set(['RELEASE_REPLAYED']),
};

/** What the intake needs of the deployer (the real Deployer; a recording fake in tests). */
export interface IntakeDeployer {
  start(manifest: ReleaseManifest, jws: string): Promise<{ id: number }>;
  /** Resolves when every running deployment has ended. */
  settled(): Promise<void>;
}

export interface ReleaseIntakeDeps {
  /** The very check the HTTP route runs: signature, fleet, target, sequence, expiry, digest. */
  verifyRelease(jws: string): Promise<ReleaseManifest>;
  deployer: IntakeDeployer;
  /** Highest accepted sequence per service, from the store. */
  highestSequences(): Record<string, number>;
  refuse(refusal: ReleaseRefusal): void;
  started(deployment: { id: number }): void;
  logger: Logger;
  clock: PullClock;
}

interface Verified {
  manifest: ReleaseManifest;
  jws: string;
  source: ReleaseSource;
}

/**
 * Where pulled releases enter the agent, from the controller or a plain URL: each is verified
 * exactly as a pushed one and, if it holds, handed to the deployer. The transport is never
 * trusted, so a refusal changes nothing here; it is only reported. A release that meets a
 * running deployment of its service waits for it to end; only the newest per service waits.
 */
export class ReleaseIntake {
  readonly #deps: ReleaseIntakeDeps;
  readonly #pending = new Map<string, Verified>();
  /** Sequences the controller sent that were refused: not asked for again in this run. */
  readonly #refused = new Map<string, number>();
  readonly #refusedDigests = new Set<string>();
  readonly #stop = new AbortController();
  #queue: Promise<void> = Promise.resolve();
  #retrying: Promise<void> | null = null;

  constructor(deps: ReleaseIntakeDeps) {
    this.#deps = deps;
  }

  /** Per service, the highest sequence this agent has decided on: the `known` of a poll. */
  known(): Record<string, number> {
    const known = { ...this.#deps.highestSequences() };
    const raise = (service: string, sequence: number): void => {
      known[service] = Math.max(known[service] ?? 0, sequence);
    };
    for (const [service, sequence] of this.#refused) raise(service, sequence);
    for (const [service, { manifest }] of this.#pending) raise(service, manifest.sequence);
    return known;
  }

  /** Verifies and applies a batch; resolves when each release is started, waiting, or refused. */
  offer(releases: readonly string[], source: ReleaseSource): Promise<void> {
    return this.#serially(async () => {
      const newest = new Map<string, Verified>();
      for (const jws of releases) {
        const verified = await this.#verify(jws, source, source);
        if (!verified) continue;
        const current = newest.get(verified.manifest.service);
        if (!current || verified.manifest.sequence > current.manifest.sequence) {
          newest.set(verified.manifest.service, verified);
        }
      }
      for (const verified of newest.values()) await this.#apply(verified);
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#retrying;
    await this.#queue;
  }

  async #verify(jws: string, source: ReleaseSource, origin: Origin): Promise<Verified | null> {
    const digest = createHash('sha256').update(jws).digest('base64url');
    if (this.#refusedDigests.has(digest)) return null;
    try {
      return { manifest: await this.#deps.verifyRelease(jws), jws, source };
    } catch (error) {
      if (this.#refusedDigests.size >= REMEMBERED_REFUSALS) this.#refusedDigests.clear();
      this.#refusedDigests.add(digest);
      this.#refuse(unverifiedClaimOf(jws), error, origin);
      return null;
    }
  }

  async #apply(verified: Verified): Promise<void> {
    const { service, sequence, version } = verified.manifest;
    const waiting = this.#pending.get(service);
    if (waiting && waiting.manifest.sequence > sequence) return;
    try {
      const deployment = await this.#deps.deployer.start(verified.manifest, verified.jws);
      this.#pending.delete(service);
      this.#deps.logger.info(
        { service, sequence, version, deployment: deployment.id },
        'pulled release accepted',
      );
      this.#deps.started(deployment);
    } catch (error) {
      if (isBerthError(error) && error.code === 'DEPLOY_IN_PROGRESS') {
        if (!waiting) {
          this.#deps.logger.info(
            { service, sequence },
            'release waits for the running deployment to end',
          );
        }
        this.#pending.set(service, verified);
        this.#retrying ??= this.#retryPending().finally(() => (this.#retrying = null));
        return;
      }
      this.#pending.delete(service);
      this.#refuse({ service, sequence }, error, verified.source);
    }
  }

  async #retryPending(): Promise<void> {
    const signal = this.#stop.signal;
    while (this.#pending.size > 0 && !signal.aborted) {
      await Promise.race([this.#deps.deployer.settled(), abortOf(signal)]);
      await this.#deps.clock.sleep(PENDING_RETRY_GAP_MS, signal);
      if (signal.aborted) return;
      await this.#serially(async () => {
        for (const waiting of [...this.#pending.values()]) {
          this.#pending.delete(waiting.manifest.service);
          const verified = await this.#verify(waiting.jws, waiting.source, 'waiting');
          if (verified) await this.#apply(verified);
        }
      });
    }
  }

  #refuse(claim: UnverifiedClaim | null, error: unknown, origin: Origin): void {
    const code = isBerthError(error) ? error.code : 'INTERNAL';
    const message = isBerthError(error) ? error.message : 'the release could not be checked';
    const fields = { service: claim?.service, sequence: claim?.sequence, code, origin };
    if (!isBerthError(error)) {
      this.#deps.logger.error({ ...fields, err: error }, 'release check failed');
    }
    if (expectedRefusals[origin].has(code)) {
      this.#deps.logger.debug(fields, 'release skipped: not for this host, or already superseded');
      return;
    }
    this.#deps.logger.warn({ ...fields, reason: message }, 'release refused');
    if (claim && origin === 'controller') {
      this.#refused.set(
        claim.service,
        Math.max(this.#refused.get(claim.service) ?? 0, claim.sequence),
      );
    }
    // A release that does not even say what it is cannot be named in a report: logged only.
    if (claim)
      this.#deps.refuse({ service: claim.service, sequence: claim.sequence, code, message });
  }

  #serially(work: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(work);
    this.#queue = run.catch((error: unknown) => {
      this.#deps.logger.error({ err: error }, 'applying pulled releases failed');
    });
    return run;
  }
}

function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
