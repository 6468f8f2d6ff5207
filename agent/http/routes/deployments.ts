import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BerthError } from '../../../shared/errors.ts';
import { isSettled } from '../../state/deployment.ts';
import type { HttpDeps } from '../http-deps.ts';

const params = z.object({ id: z.coerce.number().int().positive() });
const query = z.object({
  after: z.coerce.number().int().min(0).default(0),
  waitMs: z.coerce.number().int().min(0).max(30_000).default(0),
});
const POLL_INTERVAL_MS = 100;

export function deploymentRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    /** The deployment and its events after `after`; with waitMs, held until a new event or the deployment ends or parks. */
    app.get('/v1/deployments/:id', async (request) => {
      const parsedParams = params.safeParse(request.params);
      const parsedQuery = query.safeParse(request.query);
      if (!parsedParams.success || !parsedQuery.success)
        throw new BerthError('USAGE', 'use /v1/deployments/ID?after=N&waitMs=MS');
      const { id } = parsedParams.data;
      const { after, waitMs } = parsedQuery.data;
      const deadline = Date.now() + waitMs;
      for (;;) {
        const deployment = deps.store.deployment(id);
        if (!deployment)
          throw new BerthError('NOT_FOUND', `no deployment ${id} on ${deps.hostName}`);
        const events = deps.store.events(id, after);
        if (events.length || isSettled(deployment.state) || Date.now() >= deadline)
          return { deployment, events };
        await deps.sleep(POLL_INTERVAL_MS);
      }
    });
  };
}
