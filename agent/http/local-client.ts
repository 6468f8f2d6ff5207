import { Agent, request, type Dispatcher } from 'undici';
import type { AgentDeployment, AgentEvent } from '../../shared/api/agent-api.ts';
import { BerthError, errorCatalog, type ErrorCode } from '../../shared/errors.ts';

export interface LocalRollbackAnswer {
  deployment: AgentDeployment;
  release: { service: string; sequence: number; version: string };
}

/** Talks to the running agent over its local admin socket (see local-server.ts). */
export class LocalClient {
  readonly #socketPath: string;
  readonly #dispatcher: Dispatcher;

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
    this.#dispatcher = new Agent({ connect: { socketPath } });
  }

  rollback(service: string, version?: string): Promise<LocalRollbackAnswer> {
    return this.#call('POST', `/local/services/${encodeURIComponent(service)}/rollback`, {
      body: version ? { version } : {},
    });
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

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; timeoutMs?: number } = {},
  ): Promise<T> {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(`http://localhost${path}`, {
        method,
        dispatcher: this.#dispatcher,
        headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        headersTimeout: options.timeoutMs ?? 30_000,
        bodyTimeout: options.timeoutMs ?? 30_000,
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    const text = await response.body.text();
    const json: unknown = text ? JSON.parse(text) : null;
    if (response.statusCode >= 400) throw refusal(response.statusCode, json);
    return json as T;
  }

  #unreachable(error: unknown): BerthError {
    const code =
      typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === 'EACCES' || code === 'EPERM') {
      return new BerthError('USAGE', `no permission to use the agent socket ${this.#socketPath}`, {
        hint: 'run it as root (e.g. with sudo)',
      });
    }
    return new BerthError('HOST_UNREACHABLE', `no agent answers on ${this.#socketPath}`, {
      hint: 'start it: `systemctl start berth-agent` (or `berth-agent run`); check --data-dir',
      cause: error,
    });
  }
}

function refusal(status: number, body: unknown): BerthError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const code =
    typeof fields.code === 'string' && fields.code in errorCatalog
      ? (fields.code as ErrorCode)
      : 'INTERNAL';
  return new BerthError(
    code,
    typeof fields.message === 'string' ? fields.message : `the agent answered HTTP ${status}`,
    {
      hint: typeof fields.hint === 'string' ? fields.hint : undefined,
      details: Array.isArray(fields.details) ? fields.details.map(String) : undefined,
    },
  );
}
