import type { ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../shared/logger.ts';
import type { AdminReply, AdminRequest } from './admin-handler.ts';
import type { DrainResult } from './admin-protocol.ts';
import type { AdminReplicas } from './admin-server.ts';
import { spawnSelfWith, whenReady } from './listener-handover.ts';
import { mergePrometheusTexts } from './prometheus-merge.ts';
import type { ReplicaMessage, ReplicaAnswer } from './replica-link.ts';
import { replicaEnvName } from './replica-link.ts';

const respawnDelayMs = 1_000;

interface Replica {
  index: number;
  child: ChildProcess;
  pending: Map<number, (answer: ReplicaAnswer) => void>;
}

/**
 * The primary's other processes (a worker per core): copies of this command line that accept
 * on the same listening sockets and route with the same table. The primary keeps the admin
 * socket, the state file, ACME and the metrics port; every change it makes is repeated here,
 * one at a time and in order, before its caller hears back. A replica that dies is started
 * again; it reads the state file, which no change can touch while it starts.
 */
export class ReplicaSet implements AdminReplicas {
  readonly #count: number;
  #listeners: { http: Server; https?: Server } | undefined;
  readonly #logger: Logger;
  readonly #replicas: Replica[] = [];
  #lastChange: Promise<unknown> = Promise.resolve();
  #nextId = 1;
  #isStopping = false;

  constructor(count: number, logger: Logger) {
    this.#count = count;
    this.#logger = logger;
  }

  get pids(): number[] {
    return this.#replicas.map((replica) => replica.child.pid ?? 0);
  }

  /** Starts every replica on `listeners`; resolves once all serve. */
  async start(listeners: { http: Server; https?: Server }): Promise<void> {
    this.#listeners = listeners;
    await Promise.all(Array.from({ length: this.#count }, (_, index) => this.#spawn(index)));
  }

  change(request: AdminRequest, applyHere: () => Promise<AdminReply>): Promise<AdminReply> {
    return this.#exclusively(async () => {
      const reply = await applyHere();
      if (reply.status < 300) await this.#everywhere({ kind: 'admin', request });
      return reply;
    });
  }

  async drain(request: AdminRequest): Promise<DrainResult[]> {
    const answers = await this.#askAll({ kind: 'admin', request });
    return answers.map((answer) => {
      const reply = answer.reply;
      return reply?.status === 200 ? (reply.json as DrainResult) : { drained: false, remaining: 0 };
    });
  }

  /** `own` (the primary's metrics text) summed with every replica's. */
  async withReplicaMetrics(own: string): Promise<string> {
    const request = { method: 'GET', path: '/metrics', body: '' };
    const answers = await this.#askAll({ kind: 'admin', request });
    return mergePrometheusTexts([own, ...answers.map((answer) => answer.reply?.text ?? '')]);
  }

  /** An HTTP-01 token set (or, without `keyAuthorization`, removed) in every replica. */
  async mirrorChallenge(token: string, keyAuthorization: string | undefined): Promise<void> {
    await this.#askAll({ kind: 'challenge', token, keyAuthorization });
  }

  /** The primary stored a certificate: every replica reads the store again. */
  reloadCertificates(): void {
    void this.#askAll({ kind: 'reload-certificates' });
  }

  /** Each replica lets its clients go as on SIGTERM; resolves once all have exited. */
  async stop(): Promise<void> {
    this.#isStopping = true;
    await Promise.all(
      this.#replicas.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
  }

  async #spawn(index: number): Promise<void> {
    const { http, https } = this.#listeners ?? {};
    const child = spawnSelfWith(
      { ...(http && { http }), ...(https && { https }) },
      { [replicaEnvName]: String(index + 1) },
      { detached: false },
    );
    const replica: Replica = { index, child, pending: new Map() };
    await whenReady(child, `proxy replica ${index + 1}`);
    child.on('message', (answer: ReplicaAnswer) => {
      replica.pending.get(answer.id)?.(answer);
      replica.pending.delete(answer.id);
    });
    child.once('exit', (code, signal) => {
      for (const settle of replica.pending.values()) settle({ id: 0, failed: 'exited' });
      replica.pending.clear();
      if (this.#isStopping) return;
      this.#logger.warn(
        { replica: index + 1, code, signal },
        'proxy replica exited; starting it again',
      );
      void this.#exclusively(async () => {
        await sleep(respawnDelayMs);
        if (!this.#isStopping) await this.#spawn(index);
      }).catch((error: unknown) =>
        this.#logger.error({ err: error, replica: index + 1 }, 'proxy replica did not start again'),
      );
    });
    this.#replicas[index] = replica;
  }

  /** A change every replica must apply; one that cannot is replaced (it reads the state file). */
  async #everywhere(message: ReplicaMessage): Promise<void> {
    const answers = await this.#askAll(message);
    answers.forEach((answer, index) => {
      if (answer.reply !== undefined && answer.reply.status < 300) return;
      this.#logger.error(
        { replica: index + 1, reply: answer.reply, failed: answer.failed },
        'a proxy replica did not apply a change; replacing it',
      );
      this.#replicas[index]?.child.kill('SIGKILL');
    });
  }

  #askAll(message: ReplicaMessage): Promise<ReplicaAnswer[]> {
    return Promise.all(this.#replicas.map((replica) => this.#ask(replica, message)));
  }

  #ask(replica: Replica, message: ReplicaMessage): Promise<ReplicaAnswer> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      if (!replica.child.connected) {
        resolve({ id, failed: 'not connected' });
        return;
      }
      replica.pending.set(id, resolve);
      replica.child.send({ ...message, id });
    });
  }

  #exclusively<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#lastChange.then(work);
    this.#lastChange = result.catch(() => undefined);
    return result;
  }
}
