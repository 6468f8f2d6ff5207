import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isBerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AdminError } from './admin-protocol.ts';
import type { CertificateStatus } from './admin-protocol.ts';
import {
  parseCheckTargetRequest,
  parseDrainTargetRequest,
  parseSwitchServiceRequest,
  serviceNamePattern,
  type Parsed,
} from './admin-schema.ts';
import { checkTarget } from './health-check.ts';
import type { ServiceRoutes } from './service-routes.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';
import { parseCanaryRequest, parseMaintenanceRequest, parsePauseRequest } from './admin-schema.ts';
import { metricsContentType } from './metrics-endpoint.ts';
import {
  promoted,
  resumed,
  withCanary,
  withMaintenance,
  withoutCanary,
  withPause,
} from './service-controls.ts';

const maxBodyBytes = 64 * 1024;
const servicePath = /^\/services\/([^/]+)$/;

/** An error answered to the admin caller as `AdminError` JSON with `status`. */
class AdminFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: AdminError,
  ) {
    super(body.message);
  }
}

export interface AdminDependencies {
  services: ServiceRoutes;
  upstreams: UpstreamRegistry;
  logger: Logger;
  /** TLS hosts and their certificates; absent answers an empty list. */
  certificates?: () => CertificateStatus[];
}

/** The admin API of admin-protocol.ts, as an HTTP server to be bound to the Unix socket. */
export function createAdminServer(deps: AdminDependencies): Server {
  return createServer((req, res) => {
    handle(req, res, deps).catch((error: unknown) => {
      if (error instanceof AdminFailure) {
        sendJson(res, error.status, error.body);
        return;
      }
      if (isBerthError(error) && error.code === 'PROXY_ROUTE_CONFLICT') {
        sendJson(res, 409, { code: error.code, message: error.message });
        return;
      }
      if (isBerthError(error) && (error.code === 'USAGE' || error.code === 'NOT_FOUND')) {
        sendJson(res, error.status, { code: error.code, message: error.message });
        return;
      }
      deps.logger.error({ err: error, method: req.method, url: req.url }, 'admin request failed');
      // Only our own messages reach the caller; library errors stay in the log.
      const message = isBerthError(error) ? error.message : 'the proxy failed; see its log';
      sendJson(res, 500, { code: 'INTERNAL', message });
    });
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  deps: AdminDependencies,
): Promise<void> {
  const { services, upstreams } = deps;
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const route = `${req.method ?? 'GET'} ${path}`;

  if (route === 'GET /health') return sendJson(res, 200, { ok: true, pid: process.pid });
  if (route === 'GET /services') return sendJson(res, 200, { services: services.list() });
  if (route === 'GET /certificates') {
    return sendJson(res, 200, { certificates: deps.certificates?.() ?? [] });
  }

  if (route === 'POST /targets/check') {
    const request = valid(parseCheckTargetRequest(await readJson(req)));
    const outcome = await checkTarget(request, abortedWhenClosed(res));
    if (outcome.healthy) return sendJson(res, 200, { healthy: true });
    deps.logger.warn(
      { target: request.target, lastStatus: outcome.lastStatus },
      'health check failed',
    );
    return sendJson(res, 422, {
      code: 'HEALTH_CHECK_FAILED',
      message: outcome.message,
      lastStatus: outcome.lastStatus,
    });
  }

  if (route === 'POST /targets/drain') {
    const request = valid(parseDrainTargetRequest(await readJson(req)));
    return sendJson(res, 200, await upstreams.drain(request.target, request.timeoutMs));
  }

  if (route === 'GET /metrics') return sendText(res, 200, services.metrics.render());
  if (await handleControl(req, res, path, services)) return;

  const name = serviceNameIn(path);
  if (name !== undefined && req.method === 'PUT') {
    const request = valid(parseSwitchServiceRequest(await readJson(req)));
    return sendJson(res, 200, await services.switch(name, request));
  }
  if (name !== undefined && req.method === 'DELETE') {
    return sendJson(res, 200, { removed: await services.remove(name) });
  }
  throw new AdminFailure(404, { code: 'NOT_FOUND', message: `no admin route ${route}` });
}

function serviceNameIn(path: string): string | undefined {
  const encoded = servicePath.exec(path)?.[1];
  if (encoded === undefined) return undefined;
  const name = safeDecode(encoded);
  if (name === undefined || !serviceNamePattern.test(name)) {
    throw new AdminFailure(400, { code: 'USAGE', message: `invalid service name "${encoded}"` });
  }
  return name;
}

function valid<T>(parsed: Parsed<T>): T {
  if (parsed.ok) return parsed.value;
  throw new AdminFailure(400, { code: 'USAGE', message: parsed.problem });
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) {
      throw new AdminFailure(413, { code: 'USAGE', message: `body over ${maxBodyBytes} bytes` });
    }
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AdminFailure(400, { code: 'USAGE', message: 'body is not JSON' });
  }
}

/** Aborts a long health check when the caller hangs up, so it stops probing the target. */
function abortedWhenClosed(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

const controlPath = /^\/services\/([^/]+)\/(maintenance|pause|resume|canary|canary\/promote)$/;

/** Operator controls (maintenance, pause, canary); false when `path` is none of them. */
async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  services: ServiceRoutes,
): Promise<boolean> {
  const match = controlPath.exec(path);
  if (match === null) return false;
  const name = controlledServiceName(match[1] ?? '');
  switch (`${req.method ?? 'GET'} ${match[2] ?? ''}`) {
    case 'POST maintenance': {
      const { on, message } = valid(parseMaintenanceRequest(await readJson(req)));
      const { after } = await services.update(name, (s) => withMaintenance(s, on, message));
      sendJson(res, 200, after);
      return true;
    }
    case 'POST pause': {
      const { maxPauseMs } = valid(parsePauseRequest(await readJson(req)));
      sendJson(res, 200, (await services.update(name, (s) => withPause(s, maxPauseMs))).after);
      return true;
    }
    case 'POST resume':
      sendJson(res, 200, (await services.update(name, resumed)).after);
      return true;
    case 'PUT canary': {
      const canary = valid(parseCanaryRequest(await readJson(req)));
      const { before } = await services.update(name, (s) => withCanary(s, canary));
      sendJson(res, 200, { previousCanaryTarget: before.canary?.target ?? null });
      return true;
    }
    case 'DELETE canary': {
      const { before } = await services.update(name, withoutCanary);
      sendJson(res, 200, { previousCanaryTarget: before.canary?.target ?? null });
      return true;
    }
    case 'POST canary/promote': {
      const { before } = await services.update(name, promoted);
      sendJson(res, 200, { previousTarget: before.target === '' ? null : before.target });
      return true;
    }
    default:
      throw new AdminFailure(404, {
        code: 'NOT_FOUND',
        message: `no admin route ${req.method} ${path}`,
      });
  }
}

function controlledServiceName(encoded: string): string {
  const name = safeDecode(encoded);
  if (name === undefined || !serviceNamePattern.test(name)) {
    throw new AdminFailure(400, { code: 'USAGE', message: `invalid service name "${encoded}"` });
  }
  return name;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': metricsContentType,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
