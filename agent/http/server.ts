import { replyWithBerthErrors } from '../../shared/http/berth-error-replies.ts';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { HttpDeps } from './http-deps.ts';
import { requireOperator } from './require-operator.ts';
import { healthRoutes } from './routes/health.ts';
import { releaseRoutes } from './routes/releases.ts';
import { statusRoutes } from './routes/status.ts';
import { deploymentRoutes } from './routes/deployments.ts';
import { serviceControlRoutes } from './routes/service-controls.ts';

/**
 * The agent's HTTPS API, built but not listening, so tests drive it with inject().
 * /v1/health and /v1/identity are open; everything else needs an operator token.
 */
export function buildServer(
  deps: HttpDeps,
  options: { https?: { key: string; cert: string } } = {},
): FastifyInstance {
  const serverOptions: FastifyServerOptions & { https?: { key: string; cert: string } } = {
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 4 * 1024 * 1024,
    ...(options.https ? { https: options.https } : {}),
  };
  const app = Fastify(serverOptions) as unknown as FastifyInstance;

  replyWithBerthErrors(app, 'agent');

  app.register(healthRoutes(deps));
  app.register(async (operatorScope) => {
    operatorScope.addHook('onRequest', requireOperator(deps));
    await operatorScope.register(releaseRoutes(deps));
    await operatorScope.register(statusRoutes(deps));
    await operatorScope.register(deploymentRoutes(deps));
    await operatorScope.register(serviceControlRoutes(deps));
  });
  return app;
}
