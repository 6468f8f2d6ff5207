import { request, type Dispatcher } from 'undici';
import type {
  AuditEntry,
  ControlHistoryEntry,
  ControllerIdentity,
  FleetStatus,
  HostRecord,
  HostTokenIssued,
  PublishedControl,
  PublishedRelease,
  ReleaseHistoryEntry,
  ReleaseProgress,
} from '../../shared/api/controller-api.ts';
import { signOperatorToken } from '../../shared/auth/operator-token.ts';
import { BerthError } from '../../shared/errors.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { errorFromAnswer, unreachable } from './api-error.ts';

/** The operator's client for the controller API: pinned TLS, a fresh short-lived token per call. */
export class ControllerClient {
  readonly url: string;
  readonly fingerprint: string;
  readonly #dispatcher: Dispatcher;
  readonly #operator: SigningKey & { subject: string };
  #identity: ControllerIdentity | null = null;

  constructor(
    endpoint: { url: string; fingerprint: string },
    operator: SigningKey & { subject: string },
  ) {
    this.url = endpoint.url;
    this.fingerprint = endpoint.fingerprint;
    this.#dispatcher = pinnedAgent(endpoint.fingerprint);
    this.#operator = operator;
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async identity(): Promise<ControllerIdentity> {
    this.#identity ??= await this.#call<ControllerIdentity>('GET', '/v1/identity', { auth: false });
    return this.#identity;
  }

  addHost(name: string): Promise<HostTokenIssued> {
    return this.#call('POST', '/v1/hosts', { body: { name } });
  }

  hosts(): Promise<{ hosts: HostRecord[] }> {
    return this.#call('GET', '/v1/hosts');
  }

  removeHost(name: string): Promise<{ name: string; revokedAt: string }> {
    return this.#call('DELETE', `/v1/hosts/${encodeURIComponent(name)}`);
  }

  publish(jws: string): Promise<PublishedRelease> {
    return this.#call('POST', '/v1/releases', { body: { release: jws } });
  }

  releases(service: string, limit: number): Promise<{ releases: ReleaseHistoryEntry[] }> {
    return this.#call('GET', `/v1/releases?service=${encodeURIComponent(service)}&limit=${limit}`);
  }

  progress(
    service: string,
    sequence: number,
    after: number,
    waitMs: number,
  ): Promise<ReleaseProgress> {
    return this.#call(
      'GET',
      `/v1/releases/${encodeURIComponent(service)}/${sequence}/progress?after=${after}&waitMs=${waitMs}`,
      {
        timeoutMs: waitMs + 15_000,
      },
    );
  }

  publishControl(jws: string): Promise<PublishedControl> {
    return this.#call('POST', '/v1/controls', { body: { control: jws } });
  }

  controls(service: string, limit: number): Promise<{ controls: ControlHistoryEntry[] }> {
    return this.#call('GET', `/v1/controls?service=${encodeURIComponent(service)}&limit=${limit}`);
  }

  /** One control's results; held until more than `settled` targets reported, or waitMs. */
  control(
    service: string,
    sequence: number,
    settled: number,
    waitMs: number,
  ): Promise<ControlHistoryEntry> {
    return this.#call(
      'GET',
      `/v1/controls/${encodeURIComponent(service)}/${sequence}?settled=${settled}&waitMs=${waitMs}`,
      { timeoutMs: waitMs + 15_000 },
    );
  }

  status(): Promise<FleetStatus> {
    return this.#call('GET', '/v1/status');
  }

  audit(limit: number): Promise<{ entries: AuditEntry[] }> {
    return this.#call('GET', `/v1/audit?limit=${limit}`);
  }

  async #call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    options: { body?: unknown; auth?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.auth !== false) {
      const audience = (await this.identity()).name;
      headers.authorization = `Bearer ${await signOperatorToken(this.#operator, { audience, subject: this.#operator.subject })}`;
    }
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Dispatcher.ResponseData;
    try {
      response = await request(new URL(path, this.url), {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        dispatcher: this.#dispatcher,
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw unreachable(`the controller (${this.url})`, error);
    }
    const text = await response.body.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (response.statusCode >= 400) throw errorFromAnswer('controller', response.statusCode, json);
    if (json === null) throw new BerthError('INTERNAL', `controller answered ${path} with no body`);
    return json as T;
  }
}
