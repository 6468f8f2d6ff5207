import type { FastifyInstance } from 'fastify';
import type { FleetStatus } from '../../../shared/api/controller-api.ts';
import { describeFleet } from '../fleet-status.ts';
import { limitQuery, parseQuery } from '../query-params.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

/** The fleet as the controller sees it now. */
export function currentFleet(deps: ControllerServerDeps): FleetStatus {
  return describeFleet(
    deps.settings.fleet,
    deps.store.hosts.list(),
    deps.store.hosts.statuses(),
    (name) => deps.agentPolls.isHeld(name),
    {
      now: deps.now(),
      staleAfterMs: deps.settings.staleAfterMs,
      longPollMaxMs: deps.settings.longPollMaxMs,
    },
  );
}

/** Operator: fleet status and the audit log. */
export function fleetRoutes(deps: ControllerServerDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/status', async () => currentFleet(deps));
    app.get('/v1/audit', async (request) => {
      const { limit } = parseQuery(limitQuery, request.query, 'limit=1..500');
      return { entries: deps.store.audit.list(limit) };
    });
  };
}
