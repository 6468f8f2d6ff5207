import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { AgentReport, HostTokenIssued } from '../../../shared/api/controller-api.ts';
import { signOperatorToken } from '../../../shared/auth/operator-token.ts';
import {
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  type KeyPair,
  type PublicKey,
} from '../../../shared/keys/index.ts';
import { createLogger } from '../../../shared/logger.ts';
import type { ReleaseManifestInput } from '../../../shared/manifest/schema.ts';
import { signRelease } from '../../../shared/manifest/signing.ts';
import { encodeKnownSequences } from '../../../controller/server/known-sequences.ts';
import { SessionBook } from '../../../controller/server/dashboard/session-book.ts';
import { PollHub } from '../../../controller/server/poll-hub.ts';
import { buildControllerServer } from '../../../controller/server/server.ts';
import { ControllerStore } from '../../../controller/server/state/controller-store.ts';
import { releaseManifestFixture } from '../../fixtures/release-manifest.ts';

export const CONTROLLER_NAME = 'controller';
export const FLEET = 'production';
/** Inside the fixture manifest's validity window. */
export const START = new Date('2026-11-21T12:00:00.000Z');

export interface AgentIdentity {
  name: string;
  signing: KeyPair;
  encryption: KeyPair;
}

const publicKey = (pair: KeyPair): PublicKey => ({ kid: pair.kid, jwk: pair.publicJwk });

/** A controller built on a real SQLite file in a temp dir, real keys, a settable clock. */
export class ControllerHarness {
  readonly dir: string;
  readonly store: ControllerStore;
  readonly agentPolls = new PollHub();
  readonly progressPolls = new PollHub();
  readonly sessions: SessionBook;
  readonly release: KeyPair;
  readonly operator: KeyPair;
  readonly app: FastifyInstance;
  nowMs = START.getTime();
  readonly #logChunks: string[] = [];

  private constructor(
    dir: string,
    keys: { release: KeyPair; operator: KeyPair },
    options: HarnessOptions,
    https: { key: string; cert: string } | undefined,
  ) {
    this.dir = dir;
    this.release = keys.release;
    this.operator = keys.operator;
    const now = (): Date => new Date(this.nowMs);
    this.store = new ControllerStore(join(dir, 'controller.sqlite'), { now });
    this.sessions = new SessionBook(now);
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.#logChunks.push(chunk.toString());
        done();
      },
    });
    this.app = buildControllerServer(
      {
        settings: {
          name: CONTROLLER_NAME,
          fleet: FLEET,
          releaseKeys: [publicKey(keys.release)],
          operatorKeys: [publicKey(keys.operator)],
          staleAfterMs: options.staleAfterMs ?? 90_000,
          longPollMaxMs: options.longPollMaxMs ?? 30_000,
          joinTokenTtlSeconds: options.joinTokenTtlSeconds ?? 3600,
        },
        store: this.store,
        agentPolls: this.agentPolls,
        progressPolls: this.progressPolls,
        sessions: this.sessions,
        logger: createLogger({ name: 'controller-test', level: 'debug' }, sink),
        now,
      },
      https ? { https } : {},
    );
  }

  static async create(
    options: HarnessOptions = {},
    https?: { key: string; cert: string },
  ): Promise<ControllerHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'berth-controller-'));
    const keys = { release: await generateSigningKey(), operator: await generateSigningKey() };
    return new ControllerHarness(dir, keys, options, https);
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }

  /** Everything logged so far, as text. */
  logText(): string {
    return this.#logChunks.join('');
  }

  async operatorAuth(
    subject = 'alice',
    key: KeyPair = this.operator,
  ): Promise<{ authorization: string }> {
    const token = await signOperatorToken(key, {
      audience: CONTROLLER_NAME,
      subject,
      now: this.now(),
    });
    return { authorization: `Bearer ${token}` };
  }

  async agentAuth(agent: AgentIdentity, subject = agent.name): Promise<{ authorization: string }> {
    const token = await signOperatorToken(agent.signing, {
      audience: CONTROLLER_NAME,
      subject,
      now: this.now(),
    });
    return { authorization: `Bearer ${token}` };
  }

  async addHost(name: string): Promise<HostTokenIssued> {
    const response = await this.app.inject({
      method: 'POST',
      url: '/v1/hosts',
      headers: await this.operatorAuth(),
      payload: { name },
    });
    if (response.statusCode !== 201) throw new Error(`add ${name}: ${response.body}`);
    return response.json<HostTokenIssued>();
  }

  async joinRequest(agent: AgentIdentity, secret: string) {
    return this.app.inject({
      method: 'POST',
      url: '/v1/join',
      payload: {
        secret,
        name: agent.name,
        signingPublicKey: formatPublicKey(agent.signing.publicJwk),
        encryptionPublicKey: formatPublicKey(agent.encryption.publicJwk),
      },
    });
  }

  /** Adds and joins a host, returning the agent's keys. */
  async joinedHost(name: string): Promise<AgentIdentity> {
    const agent = await newAgentIdentity(name);
    const response = await this.joinRequest(agent, (await this.addHost(name)).secret);
    if (response.statusCode !== 200) throw new Error(`join ${name}: ${response.body}`);
    return agent;
  }

  /** A signed release of `shop` for the given hosts (web role) with the given sequence. */
  async signedRelease(
    sequence: number,
    hosts: string[],
    overrides: Partial<ReleaseManifestInput> = {},
    key: KeyPair = this.release,
  ): Promise<string> {
    const manifest = releaseManifestFixture({
      sequence,
      version: `v${sequence}`,
      roles: { web: { hosts, secretEnv: [] } },
      ...overrides,
    });
    return signRelease(manifest, key);
  }

  async publish(jws: string, subject = 'alice') {
    return this.app.inject({
      method: 'POST',
      url: '/v1/releases',
      headers: await this.operatorAuth(subject),
      payload: { release: jws },
    });
  }

  async poll(agent: AgentIdentity, known: Record<string, number> = {}, waitMs = 0) {
    return this.app.inject({
      method: 'GET',
      url: `/v1/agents/${agent.name}/releases?known=${encodeKnownSequences(known)}&waitMs=${waitMs}`,
      headers: await this.agentAuth(agent),
    });
  }

  async report(agent: AgentIdentity, report: AgentReport) {
    return this.app.inject({
      method: 'POST',
      url: `/v1/agents/${agent.name}/reports`,
      headers: await this.agentAuth(agent),
      payload: report,
    });
  }

  async get(url: string) {
    return this.app.inject({ method: 'GET', url, headers: await this.operatorAuth() });
  }

  async close(): Promise<void> {
    await this.app.close();
    this.store.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface HarnessOptions {
  staleAfterMs?: number;
  longPollMaxMs?: number;
  joinTokenTtlSeconds?: number;
}

export async function newAgentIdentity(name: string): Promise<AgentIdentity> {
  return { name, signing: await generateSigningKey(), encryption: await generateEncryptionKey() };
}
