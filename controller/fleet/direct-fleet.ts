import type { AgentDeployment } from '../../shared/api/agent-api.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import { isBerthError } from '../../shared/errors.ts';
import { parsePublicKey, type PublicKey } from '../../shared/keys/index.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { AgentClient } from '../client/agent-client.ts';
import type { Fleet, HostOutcome, HostView, ReleaseView } from './fleet.ts';
import { progressPrinter, SETTLED_STATES } from './progress-printer.ts';

const EVENT_WAIT_MS = 10_000;

/** Direct (push) mode: the CLI talks to every agent's API itself. */
export class DirectFleet implements Fleet {
  readonly mode = 'direct';
  readonly config: DeployConfig;
  readonly operator: string;
  readonly #clients: AgentClient[];

  constructor(config: DeployConfig, operator: string, clients: AgentClient[]) {
    this.config = config;
    this.operator = operator;
    this.#clients = clients;
  }

  async highestSequence(): Promise<number> {
    const statuses = await everyHost(this.#clients, (c) => c.status());
    const failed = statuses.find((r) => r.error);
    if (failed) throw failed.error;
    return Math.max(
      0,
      ...statuses.map((r) => r.value?.sequences[this.config.service]?.highest ?? 0),
    );
  }

  async encryptionKeys(hosts: string[]): Promise<Record<string, PublicKey>> {
    const keys: Record<string, PublicKey> = {};
    for (const client of this.#clients.filter((c) => hosts.includes(c.name))) {
      keys[client.name] = parsePublicKey((await client.identity()).encryptionPublicKey, 'X25519');
    }
    return keys;
  }

  async deliver(
    jws: string,
    _manifest: ReleaseManifest,
    output: CliOutput,
    options: { json: boolean },
  ): Promise<HostOutcome[]> {
    const print = progressPrinter(
      this.#clients.map((c) => c.name),
      output,
      options,
    );
    return Promise.all(
      this.#clients.map(async (client): Promise<HostOutcome> => {
        let deployment: AgentDeployment | null = null;
        try {
          deployment = (await client.publish(jws)).deployment;
          let after = 0;
          for (;;) {
            const answer = await client.deployment(deployment.id, after, EVENT_WAIT_MS);
            deployment = answer.deployment;
            for (const event of answer.events) {
              after = event.id;
              print(client.name, event);
            }
            if (SETTLED_STATES.includes(deployment.state) && answer.events.length === 0) break;
          }
          return { host: client.name, state: deployment.state, error: deployment.error };
        } catch (error) {
          return { host: client.name, state: deployment?.state ?? 'error', error: errorOf(error) };
        }
      }),
    );
  }

  async status(): Promise<HostView[]> {
    const results = await everyHost(this.#clients, (c) => c.status());
    return results.map((r) => ({
      host: r.host,
      reachable: !r.error,
      online: null,
      fresh: null,
      lastSeenAt: null,
      error: r.error ? (isBerthError(r.error) ? r.error.message : String(r.error)) : null,
      roles: (r.value?.services ?? []).filter((s) => s.service === this.config.service),
    }));
  }

  async releases(limit: number): Promise<ReleaseView[]> {
    const results = await everyHost(this.#clients, (c) => c.releases(this.config.service, limit));
    const failed = results.find((r) => r.error);
    if (failed) throw failed.error;
    const bySequence = new Map<number, ReleaseView>();
    for (const result of results) {
      for (const r of result.value?.releases ?? []) {
        const view = bySequence.get(r.sequence) ?? {
          sequence: r.sequence,
          version: r.version,
          image: r.image,
          issuedBy: r.issuedBy,
          issuedAt: r.issuedAt,
          rollbackOf: r.rollbackOf,
          hosts: {},
          jws: r.jws,
        };
        view.hosts[result.host] = r.live ? 'live' : r.state;
        bySequence.set(r.sequence, view);
      }
    }
    return [...bySequence.values()].sort((a, b) => b.sequence - a.sequence);
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
  }
}

export function errorOf(error: unknown): HostOutcome['error'] {
  if (isBerthError(error)) {
    return {
      code: error.code,
      message: error.message,
      details: [...error.details, ...(error.hint ? [error.hint] : [])],
    };
  }
  return { code: 'INTERNAL', message: String(error), details: [] };
}

async function everyHost<T>(clients: AgentClient[], task: (client: AgentClient) => Promise<T>) {
  return Promise.all(
    clients.map(async (client) => {
      try {
        return { host: client.name, value: await task(client), error: undefined };
      } catch (error) {
        return { host: client.name, value: undefined, error };
      }
    }),
  );
}
