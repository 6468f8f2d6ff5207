import { Client } from 'undici';
import { BerthError, errorCatalog, type ErrorCode } from '../../shared/errors.ts';
import type {
  CertificateStatus,
  CheckTargetRequest,
  DrainResult,
  DrainTargetRequest,
  ServiceRoute,
  SwitchServiceRequest,
  SwitchServiceResult,
} from './admin-protocol.ts';
import type {
  CanaryRequest,
  CanaryResult,
  MaintenanceRequest,
  PauseRequest,
  ServiceState,
} from './admin-protocol.ts';

const defaultCallTimeoutMs = 10_000;
/** Slack on top of a call's own timeout (health check, drain) before the proxy counts as gone. */
const callSlackMs = 5_000;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The agent's side of the admin API: one keep-alive connection to the proxy's Unix socket. */
export class ProxyClient {
  readonly #socketPath: string;
  readonly #client: Client;

  constructor(socketPath: string) {
    this.#socketPath = socketPath;
    this.#client = new Client('http://localhost', { socketPath, pipelining: 1 });
  }

  /** `replicaPids`: the other processes serving the same sockets (`--workers` above 1). */
  health(): Promise<{ ok: true; pid: number; replicaPids?: number[] }> {
    return this.#call('GET', '/health');
  }

  /** TLS hosts with the certificate each is served (ACME or custom), and ACME's last error. */
  async certificates(): Promise<CertificateStatus[]> {
    const { certificates } = await this.#call<{ certificates: CertificateStatus[] }>(
      'GET',
      '/certificates',
    );
    return certificates;
  }

  async listServices(): Promise<ServiceRoute[]> {
    const { services } = await this.#call<{ services: ServiceRoute[] }>('GET', '/services');
    return services;
  }

  /** Resolves once the target answers its health path with 2xx; throws HEALTH_CHECK_FAILED. */
  async checkTarget(request: CheckTargetRequest): Promise<void> {
    await this.#call('POST', '/targets/check', request, request.timeoutMs + callSlackMs);
  }

  /** Routes new requests for `name` to `request.target`; throws PROXY_ROUTE_CONFLICT. */
  switchService(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult> {
    return this.#call('PUT', `/services/${encodeURIComponent(name)}`, request);
  }

  drainTarget(request: DrainTargetRequest): Promise<DrainResult> {
    return this.#call('POST', '/targets/drain', request, request.timeoutMs + callSlackMs);
  }

  /** Removes the service's routes; in-flight requests finish on their own. No error if absent. */
  async removeService(name: string): Promise<void> {
    await this.#call<{ removed: boolean }>('DELETE', `/services/${encodeURIComponent(name)}`);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }

  /** Every service with its operator controls (maintenance, pause, canary). */
  async listServiceStates(): Promise<ServiceState[]> {
    const { services } = await this.#call<{ services: ServiceState[] }>('GET', '/services');
    return services;
  }

  /** Turns maintenance on (503 page with `message`, health path still 200) or off. */
  setMaintenance(name: string, request: MaintenanceRequest): Promise<ServiceState> {
    return this.#call('POST', `${servicePath(name)}/maintenance`, request);
  }

  /** Holds new requests until `resume`, or answers them 504 after `maxPauseMs`. */
  pause(name: string, request: PauseRequest): Promise<ServiceState> {
    return this.#call('POST', `${servicePath(name)}/pause`, request);
  }

  resume(name: string): Promise<ServiceState> {
    return this.#call('POST', `${servicePath(name)}/resume`);
  }

  /** Sends `percent` of clients to `target` (check it first, as for a switch). */
  setCanary(name: string, request: CanaryRequest): Promise<CanaryResult> {
    return this.#call('PUT', `${servicePath(name)}/canary`, request);
  }

  /** Sends every client back to the main target; drain `previousCanaryTarget` after. */
  abortCanary(name: string): Promise<CanaryResult> {
    return this.#call('DELETE', `${servicePath(name)}/canary`);
  }

  /** The canary target becomes the main one; drain `previousTarget` after. */
  promoteCanary(name: string): Promise<SwitchServiceResult> {
    return this.#call('POST', `${servicePath(name)}/canary/promote`);
  }

  /** The Prometheus text exposition. */
  async metrics(): Promise<string> {
    try {
      const response = await this.#client.request({
        method: 'GET',
        path: '/metrics',
        headersTimeout: defaultCallTimeoutMs,
        bodyTimeout: defaultCallTimeoutMs,
      });
      const text = await response.body.text();
      if (response.statusCode === 200) return text;
      throw toBerthError(response.statusCode, text);
    } catch (error) {
      if (error instanceof BerthError) throw error;
      throw new BerthError(
        'PROXY_UNAVAILABLE',
        `the proxy did not answer GET /metrics: ${describe(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async #call<T>(
    method: Method,
    path: string,
    body?: unknown,
    timeoutMs = defaultCallTimeoutMs,
  ): Promise<T> {
    let reply: { statusCode: number; text: string };
    const send = async (): Promise<{ statusCode: number; text: string }> => {
      const response = await this.#client.request({
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? null : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      return { statusCode: response.statusCode, text: await response.body.text() };
    };
    try {
      // A proxy handing over to its successor closes idle admin connections; a command sent
      // on one just then never reached it, so sending it once more is safe.
      reply = await send().catch((error: unknown) => {
        if (!isClosedUnderneath(error)) throw error;
        return send();
      });
    } catch (error) {
      throw new BerthError(
        'PROXY_UNAVAILABLE',
        `the proxy did not answer ${method} ${path} on ${this.#socketPath}: ${describe(error)}`,
        { cause: error },
      );
    }
    const { statusCode, text } = reply;
    if (statusCode >= 200 && statusCode < 300) return JSON.parse(text) as T;
    throw toBerthError(statusCode, text);
  }
}

function isClosedUnderneath(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function toBerthError(statusCode: number, text: string): BerthError {
  const adminError = parseAdminError(text);
  if (adminError === undefined) {
    return new BerthError('INTERNAL', `the proxy answered ${statusCode}: ${text.slice(0, 200)}`);
  }
  const details =
    adminError.lastStatus === undefined ? [] : [`last status: ${adminError.lastStatus}`];
  return new BerthError(adminError.code, adminError.message, { details });
}

/** The AdminError body, if `text` is one. */
function parseAdminError(
  text: string,
): { code: ErrorCode; message: string; lastStatus?: string } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const { code, message, lastStatus } = value as Record<string, unknown>;
    if (typeof code !== 'string' || !isErrorCode(code) || typeof message !== 'string') {
      return undefined;
    }
    return {
      code,
      message,
      ...(typeof lastStatus === 'string' ? { lastStatus } : {}),
    };
  } catch {
    return undefined;
  }
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(errorCatalog, code);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? `${error.code} ` : '';
  return `${code}${error.message}`;
}

function servicePath(name: string): string {
  return `/services/${encodeURIComponent(name)}`;
}
