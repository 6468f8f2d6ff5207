import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../http-deps.ts';
import { describeHost } from '../host-status.ts';

export function statusRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/status', async () => describeHost(deps));
  };
}
