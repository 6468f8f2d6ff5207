import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AgentRouteControls, AgentServiceControls } from '../../../shared/api/agent-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { serviceNamePattern } from '../../../shared/manifest/schema.ts';
import { rolesOnHost } from '../../deployer/host-plan.ts';
import { decodeStoredManifest } from '../../deployer/stored-manifest.ts';
import type { ServiceState } from '../../proxy/admin-protocol.ts';
import type { HttpDeps, ProxyControls } from '../http-deps.ts';

/** How long a pause holds requests when the caller names no limit (kamal-proxy's default). */
export const defaultMaxPauseMs = 30_000;
const maxPauseLimitMs = 10 * 60_000;

const params = z.object({ service: z.string().regex(serviceNamePattern) });
const maintenanceBody = z
  .object({ on: z.boolean(), message: z.string().max(2000).optional() })
  .strict();
const pauseBody = z
  .object({
    maxPauseMs: z.number().int().positive().max(maxPauseLimitMs).default(defaultMaxPauseMs),
  })
  .strict();

/**
 * Maintenance and pause for a service's proxied roles on this host (`berth maintenance`,
 * `berth pause`, `berth resume`). Each answers the routes' controls after the change.
 */
export function serviceControlRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/services/:service/maintenance', async (request) => {
      const body = maintenanceBody.safeParse(request.body);
      if (!body.success) {
        throw new BerthError('USAGE', 'body must be {"on": true|false, "message"?: "text"}');
      }
      const { on, message } = body.data;
      return applyToRoutes(
        deps,
        request,
        on ? 'maintenance on' : 'maintenance off',
        (proxy, route) =>
          proxy.setMaintenance(route, { on, ...(message === undefined ? {} : { message }) }),
      );
    });

    app.post('/v1/services/:service/pause', async (request) => {
      const body = pauseBody.safeParse(request.body ?? {});
      if (!body.success) {
        throw new BerthError('USAGE', `body must be {"maxPauseMs"?: 1..${maxPauseLimitMs}}`);
      }
      const { maxPauseMs } = body.data;
      return applyToRoutes(deps, request, 'pause', (proxy, route) =>
        proxy.pause(route, { maxPauseMs }),
      );
    });

    app.post('/v1/services/:service/resume', async (request) =>
      applyToRoutes(deps, request, 'resume', (proxy, route) => proxy.resume(route)),
    );
  };
}

async function applyToRoutes(
  deps: HttpDeps,
  request: FastifyRequest,
  action: string,
  change: (proxy: ProxyControls, route: string) => Promise<ServiceState>,
): Promise<AgentServiceControls> {
  const parsed = params.safeParse(request.params);
  if (!parsed.success) throw new BerthError('USAGE', 'invalid service name');
  const { service } = parsed.data;
  const proxy = deps.proxyControls;
  if (proxy === undefined) {
    throw new BerthError('PROXY_UNAVAILABLE', `the agent on ${deps.hostName} has no proxy`);
  }
  const routes: AgentRouteControls[] = [];
  for (const route of proxiedRoutesOf(deps, service)) {
    routes.push(controlsOf(await change(proxy, route)));
  }
  request.log.info({ service, action, by: request.operator?.subject }, 'service controls changed');
  return { host: deps.hostName, service, routes };
}

/** The proxy routes of the service's live release on this host. */
function proxiedRoutesOf(deps: HttpDeps, service: string): string[] {
  const live = deps.store.service(service)?.liveSequence ?? null;
  const release = live === null ? null : deps.store.release(service, live);
  if (!release) {
    throw new BerthError('NOT_FOUND', `no live release of ${service} on ${deps.hostName}`);
  }
  return rolesOnHost(decodeStoredManifest(release.jws), deps.hostName)
    .filter((hostRole) => hostRole.role.proxy !== null)
    .map((hostRole) => hostRole.routeName);
}

function controlsOf(state: ServiceState): AgentRouteControls {
  return {
    route: state.service,
    maintenance: state.maintenance ?? null,
    pause: state.pause ?? null,
  };
}
