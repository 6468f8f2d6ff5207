import type { AgentRouteControls, AgentServiceControls } from '../../shared/api/agent-api.ts';
import { BerthError } from '../../shared/errors.ts';
import type { ControlAction } from '../../shared/manifest/control-schema.ts';
import { rolesOnHost } from '../deployer/host-plan.ts';
import { decodeStoredManifest } from '../deployer/stored-manifest.ts';
import type { ServiceState } from '../proxy/admin-protocol.ts';
import type { HttpDeps, ProxyControls } from './http-deps.ts';

export type ServiceControlDeps = Pick<HttpDeps, 'hostName' | 'store' | 'proxyControls'>;

/**
 * Applies maintenance, pause or resume to every proxied role of the service's live release on
 * this host, and answers the routes' controls after the change. The one path for both ways a
 * control arrives: the agent API (direct mode) and a verified signed control (pull mode).
 */
export async function changeServiceControls(
  deps: ServiceControlDeps,
  service: string,
  action: ControlAction,
): Promise<AgentServiceControls> {
  const proxy = deps.proxyControls;
  if (proxy === undefined) {
    throw new BerthError('PROXY_UNAVAILABLE', `the agent on ${deps.hostName} has no proxy`);
  }
  const routes: AgentRouteControls[] = [];
  for (const route of proxiedRoutesOf(deps, service)) {
    routes.push(controlsOf(await changeRoute(proxy, route, action)));
  }
  return { host: deps.hostName, service, routes };
}

function changeRoute(
  proxy: ProxyControls,
  route: string,
  action: ControlAction,
): Promise<ServiceState> {
  switch (action.action) {
    case 'maintenance-on':
      return proxy.setMaintenance(route, {
        on: true,
        ...(action.message === undefined ? {} : { message: action.message }),
      });
    case 'maintenance-off':
      return proxy.setMaintenance(route, { on: false });
    case 'pause':
      return proxy.pause(route, { maxPauseMs: action.maxPauseMs });
    case 'resume':
      return proxy.resume(route);
  }
}

/** The proxy routes of the service's live release on this host; NOT_FOUND when none is live. */
export function proxiedRoutesOf(deps: ServiceControlDeps, service: string): string[] {
  const live = deps.store.service(service)?.liveSequence ?? null;
  const release = live === null ? null : deps.store.release(service, live);
  if (!release) {
    throw new BerthError('NOT_FOUND', `no live release of ${service} on ${deps.hostName}`, {
      hint: `deploy ${service} to ${deps.hostName} first`,
    });
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
