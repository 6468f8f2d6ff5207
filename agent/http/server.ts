import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { BerthError, isBerthError } from '../../shared/errors.ts';
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

  app.setErrorHandler((error, request, reply) => {
    if (isBerthError(error)) {
      request.log.info({ code: error.code, url: request.url }, 'request refused');
      return reply.status(error.status).send(error.toJSON());
    }
    const statusCode = (error as { statusCode?: number }).statusCode;
    if (statusCode && statusCode >= 400 && statusCode < 500) {
      return reply
        .status(statusCode)
        .send(
          new BerthError(
            'USAGE',
            'the request is malformed; check the body and parameters',
          ).toJSON(),
        );
    }
    request.log.error({ err: error, url: request.url }, 'unexpected error');
    return reply
      .status(500)
      .send(new BerthError('INTERNAL', 'internal error; see the agent log').toJSON());
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        new BerthError(
          'NOT_FOUND',
          `no route ${request.method} ${request.url.split('?')[0]}`,
        ).toJSON(),
      ),
  );

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
