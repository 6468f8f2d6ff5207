import { request, type Dispatcher } from 'undici';
import { signOperatorToken } from '../../shared/auth/operator-token.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { errorFromAnswer, unreachable } from './api-error.ts';
import type { HostEntry } from '../hosts/host-book.ts';
import type {
  AgentDeployment,
  AgentEvent,
  AgentReleaseRecord,
  AgentStatus,
} from '../../shared/api/agent-api.ts';
import type { AgentServiceControls } from '../../shared/api/agent-api.ts';

/** Talks to one agent's API over TLS pinned to its certificate, with a fresh short-lived token per call. */
export class AgentClient {
  readonly name: string;
  readonly #entry: HostEntry;
  readonly #dispatcher: Dispatcher;
  readonly #operator: SigningKey & { subject: string };

  constructor(name: string, entry: HostEntry, operator: SigningKey & { subject: string }) {
    this.name = name;
    this.#entry = entry;
    this.#dispatcher = pinnedAgent(entry.fingerprint);
    this.#operator = operator;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  identity(): Promise<{
    name: string;
    fleet: string;
    signingPublicKey: string;
    encryptionPublicKey: string;
  }> {
    return this.#call('GET', '/v1/identity', { auth: false });
  }

  status(): Promise<AgentStatus> {
    return this.#call('GET', '/v1/status');
  }

  publish(jws: string): Promise<{ deployment: AgentDeployment }> {
    return this.#call('POST', '/v1/releases', { body: { release: jws } });
  }

  releases(service: string, limit = 50): Promise<{ releases: AgentReleaseRecord[] }> {
    return this.#call('GET', `/v1/releases?service=${encodeURIComponent(service)}&limit=${limit}`);
  }

  deployment(
    id: number,
    after: number,
    waitMs: number,
  ): Promise<{ deployment: AgentDeployment; events: AgentEvent[] }> {
    return this.#call('GET', `/v1/deployments/${id}?after=${after}&waitMs=${waitMs}`, {
      timeoutMs: waitMs + 15_000,
    });
  }

  /** Maintenance on (503 page with `message`; the health path still answers) or off. */
  setMaintenance(
    service: string,
    request: { on: boolean; message?: string },
  ): Promise<AgentServiceControls> {
    return this.#call('POST', `/v1/services/${encodeURIComponent(service)}/maintenance`, {
      body: request,
    });
  }

  /** Holds new requests for up to `maxPauseMs` (the agent's default when absent). */
  pause(service: string, request: { maxPauseMs?: number }): Promise<AgentServiceControls> {
    return this.#call('POST', `/v1/services/${encodeURIComponent(service)}/pause`, {
      body: request,
    });
  }

  resume(service: string): Promise<AgentServiceControls> {
    return this.#call('POST', `/v1/services/${encodeURIComponent(service)}/resume`, { body: {} });
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; auth?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) {
      headers.authorization = `Bearer ${await signOperatorToken(this.#operator, { audience: this.name, subject: this.#operator.subject })}`;
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL(path, this.#entry.url), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: this.#dispatcher,
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw unreachable(`${this.name} (${this.#entry.url})`, error);
    }
    const text = await response.body.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (response.statusCode >= 400) throw errorFromAnswer(this.name, response.statusCode, json);
    return json as T;
  }
}
