import { isBerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AdminError, CertificateStatus, DrainResult } from './admin-protocol.ts';
import {
  parseCanaryRequest,
  parseCheckTargetRequest,
  parseDrainTargetRequest,
  parseMaintenanceRequest,
  parsePauseRequest,
  parseSwitchServiceRequest,
  serviceNamePattern,
  type Parsed,
} from './admin-schema.ts';
import { checkTarget } from './health-check.ts';
import type { ServiceRoutes } from './service-routes.ts';
import {
  promoted,
  resumed,
  withCanary,
  withMaintenance,
  withoutCanary,
  withPause,
} from './service-controls.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';

/** One admin call, already read off the socket (or received from the primary over IPC). */
export interface AdminRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  body: string;
}

/** What to answer: JSON, or Prometheus text when `text` is set. */
export interface AdminReply {
  status: number;
  json?: unknown;
  text?: string;
}

export interface AdminDependencies {
  services: ServiceRoutes;
  upstreams: UpstreamRegistry;
  logger: Logger;
  /** TLS hosts and their certificates; absent answers an empty list. */
  certificates?: () => CertificateStatus[];
}

/** An error answered to the admin caller as `AdminError` JSON with `status`. */
class AdminFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: AdminError,
  ) {
    super(body.message);
  }
}

const servicePath = /^\/services\/([^/]+)$/;
const controlPath = /^\/services\/([^/]+)\/(maintenance|pause|resume|canary|canary\/promote)$/;

/**
 * Whether a call changes the routing table (so a primary repeats it to its replicas). Health
 * checks and drains only read; they are answered where they are asked.
 */
export function isAdminChange(request: AdminRequest): boolean {
  if (request.method === 'GET') return false;
  return request.path !== '/targets/check' && request.path !== '/targets/drain';
}

/** Answers one call of the admin API (admin-protocol.ts); never throws. */
export async function handleAdmin(
  request: AdminRequest,
  deps: AdminDependencies,
  signal?: AbortSignal,
): Promise<AdminReply> {
  try {
    return await route(request, deps, signal);
  } catch (error) {
    if (error instanceof AdminFailure) return { status: error.status, json: error.body };
    if (isBerthError(error) && error.code === 'PROXY_ROUTE_CONFLICT') {
      return { status: 409, json: { code: error.code, message: error.message } };
    }
    if (isBerthError(error) && (error.code === 'USAGE' || error.code === 'NOT_FOUND')) {
      return { status: error.status, json: { code: error.code, message: error.message } };
    }
    deps.logger.error(
      { err: error, method: request.method, path: request.path },
      'admin call failed',
    );
    // Only our own messages reach the caller; library errors stay in the log.
    const message = isBerthError(error) ? error.message : 'the proxy failed; see its log';
    return { status: 500, json: { code: 'INTERNAL', message } };
  }
}

async function route(
  request: AdminRequest,
  deps: AdminDependencies,
  signal: AbortSignal | undefined,
): Promise<AdminReply> {
  const { services, upstreams } = deps;
  const { method, path } = request;
  const call = `${method} ${path}`;
  const ok = (json: unknown): AdminReply => ({ status: 200, json });

  if (call === 'GET /health') return ok({ ok: true, pid: process.pid });
  if (call === 'GET /services') return ok({ services: services.list() });
  if (call === 'GET /certificates') return ok({ certificates: deps.certificates?.() ?? [] });
  if (call === 'GET /metrics') return { status: 200, text: services.metrics.render() };

  if (call === 'POST /targets/check') {
    const check = valid(parseCheckTargetRequest(json(request)));
    const outcome = await checkTarget(check, signal ?? new AbortController().signal);
    if (outcome.healthy) return ok({ healthy: true });
    deps.logger.warn(
      { target: check.target, lastStatus: outcome.lastStatus },
      'health check failed',
    );
    return {
      status: 422,
      json: {
        code: 'HEALTH_CHECK_FAILED',
        message: outcome.message,
        lastStatus: outcome.lastStatus,
      },
    };
  }
  if (call === 'POST /targets/drain') {
    const drain = valid(parseDrainTargetRequest(json(request)));
    const result: DrainResult = await upstreams.drain(drain.target, drain.timeoutMs);
    return ok(result);
  }

  const control = controlPath.exec(path);
  if (control !== null) return ok(await applyControl(request, control, services));

  const encoded = servicePath.exec(path)?.[1];
  if (encoded !== undefined && method === 'PUT') {
    const name = serviceName(encoded);
    return ok(await services.switch(name, valid(parseSwitchServiceRequest(json(request)))));
  }
  if (encoded !== undefined && method === 'DELETE') {
    return ok({ removed: await services.remove(serviceName(encoded)) });
  }
  throw new AdminFailure(404, { code: 'NOT_FOUND', message: `no admin route ${call}` });
}

/** Operator controls (maintenance, pause, canary), kept across switches and restarts. */
async function applyControl(
  request: AdminRequest,
  match: RegExpExecArray,
  services: ServiceRoutes,
): Promise<unknown> {
  const name = serviceName(match[1] ?? '');
  switch (`${request.method} ${match[2] ?? ''}`) {
    case 'POST maintenance': {
      const { on, message } = valid(parseMaintenanceRequest(json(request)));
      return (await services.update(name, (s) => withMaintenance(s, on, message))).after;
    }
    case 'POST pause': {
      const { maxPauseMs } = valid(parsePauseRequest(json(request)));
      return (await services.update(name, (s) => withPause(s, maxPauseMs))).after;
    }
    case 'POST resume':
      return (await services.update(name, resumed)).after;
    case 'PUT canary': {
      const canary = valid(parseCanaryRequest(json(request)));
      const { before } = await services.update(name, (s) => withCanary(s, canary));
      return { previousCanaryTarget: before.canary?.target ?? null };
    }
    case 'DELETE canary': {
      const { before } = await services.update(name, withoutCanary);
      return { previousCanaryTarget: before.canary?.target ?? null };
    }
    case 'POST canary/promote': {
      const { before } = await services.update(name, promoted);
      return { previousTarget: before.target === '' ? null : before.target };
    }
    default:
      throw new AdminFailure(404, {
        code: 'NOT_FOUND',
        message: `no admin route ${request.method} ${request.path}`,
      });
  }
}

function serviceName(encoded: string): string {
  let name: string | undefined;
  try {
    name = decodeURIComponent(encoded);
  } catch {
    name = undefined;
  }
  if (name === undefined || !serviceNamePattern.test(name)) {
    throw new AdminFailure(400, { code: 'USAGE', message: `invalid service name "${encoded}"` });
  }
  return name;
}

function valid<T>(parsed: Parsed<T>): T {
  if (parsed.ok) return parsed.value;
  throw new AdminFailure(400, { code: 'USAGE', message: parsed.problem });
}

function json(request: AdminRequest): unknown {
  try {
    return JSON.parse(request.body);
  } catch {
    throw new AdminFailure(400, { code: 'USAGE', message: 'body is not JSON' });
  }
}
