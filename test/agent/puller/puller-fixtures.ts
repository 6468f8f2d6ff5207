import { Writable } from 'node:stream';
import { BerthError } from '../../../shared/errors.ts';
import { formatPublicKey, generateSigningKey, type KeyPair } from '../../../shared/keys/index.ts';
import { createLogger, type Logger } from '../../../shared/logger.ts';
import { verifyRelease } from '../../../shared/manifest/release-policy.ts';
import {
  releaseManifestSchema,
  type ReleaseManifest,
  type ReleaseManifestInput,
} from '../../../shared/manifest/schema.ts';
import { signRelease } from '../../../shared/manifest/signing.ts';
import type { PullClock } from '../../../agent/puller/pull-clock.ts';
import type { IntakeDeployer } from '../../../agent/puller/release-intake.ts';

export const FLEET = 'production';
export const HOST = 'app-1';
export const CONTROLLER_NAME = 'ctl';
/** Inside every fixture release's week of validity. */
export const NOW = new Date('2026-11-22T10:00:00Z');

/** A release of `shop` for this host (web on app-1 behind the proxy), as the operator signs it. */
export function manifest(overrides: Partial<ReleaseManifestInput> = {}): ReleaseManifest {
  return releaseManifestSchema.parse({
    schema: 1,
    fleet: FLEET,
    service: 'shop',
    sequence: 42,
    version: 'v42',
    issuedAt: '2026-11-21T10:00:00Z',
    expiresAt: '2026-11-28T10:00:00Z',
    issuedBy: 'ci@acme',
    image: `registry.example.test/acme/shop@sha256:${'ab'.repeat(32)}`,
    roles: {
      web: { hosts: [HOST], proxy: { hosts: ['shop.example.test'], appPort: 3000 } },
    },
    ...overrides,
  });
}

export interface ReleaseSigner {
  key: KeyPair;
  publicKey: string;
  sign(overrides?: Partial<ReleaseManifestInput>): Promise<string>;
}

export async function releaseSigner(): Promise<ReleaseSigner> {
  const key = await generateSigningKey();
  return {
    key,
    publicKey: formatPublicKey(key.publicJwk),
    sign: (overrides = {}) => signRelease(manifest(overrides), key),
  };
}

/** The same policy run.ts wires in, against the fake deployer's sequences and a fixed clock. */
export function verifierFor(signer: ReleaseSigner, deployer: FakeDeployer) {
  return (jws: string): Promise<ReleaseManifest> =>
    verifyRelease(jws, {
      trustedKeys: [{ kid: signer.key.kid, jwk: signer.key.publicJwk }],
      fleet: FLEET,
      hostName: HOST,
      lastAppliedSequence: (service) => deployer.highest[service] ?? null,
      now: NOW,
    });
}

/** A pino logger whose lines the test reads back. */
export function capturedLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return {
    logger: createLogger({ name: 'test', level: 'debug' }, stream),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** A clock whose sleeps are recorded and return on the next turn of the event loop. */
export class FakeClock implements PullClock {
  readonly sleeps: number[] = [];
  #nowMs = NOW.getTime();
  readonly random: () => number;

  constructor(random = 0.5) {
    this.random = () => random;
  }

  readonly now = (): Date => new Date(this.#nowMs);

  advance(ms: number): void {
    this.#nowMs += ms;
  }

  readonly sleep = async (ms: number, _signal: AbortSignal): Promise<void> => {
    this.sleeps.push(ms);
    await new Promise((resolve) => setImmediate(resolve));
  };
}

/** Stands in for the deployer: records what it was asked to start; can be busy like a running deployment. */
export class FakeDeployer implements IntakeDeployer {
  readonly started: ReleaseManifest[] = [];
  readonly attempts: number[] = [];
  readonly highest: Record<string, number> = {};
  #busy: { promise: Promise<void>; end: () => void } | null = null;
  #nextId = 1;

  async start(manifest: ReleaseManifest, _jws: string): Promise<{ id: number }> {
    this.attempts.push(manifest.sequence);
    if (this.#busy) {
      throw new BerthError('DEPLOY_IN_PROGRESS', `a deployment of ${manifest.service} runs`);
    }
    this.started.push(manifest);
    this.highest[manifest.service] = manifest.sequence;
    return { id: this.#nextId++ };
  }

  settled(): Promise<void> {
    return this.#busy?.promise ?? Promise.resolve();
  }

  /** From now until the returned function is called, start() answers DEPLOY_IN_PROGRESS. */
  beBusy(): () => void {
    let end = (): void => undefined;
    const promise = new Promise<void>((resolve) => (end = resolve));
    this.#busy = {
      promise,
      end: () => {
        this.#busy = null;
        end();
      },
    };
    return this.#busy.end;
  }
}

/** Polls `check` on the event loop until it holds (tests never sleep for real time). */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
