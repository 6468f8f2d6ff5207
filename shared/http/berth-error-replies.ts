import type { FastifyInstance } from 'fastify';
import { BerthError, isBerthError } from '../errors.ts';

/**
 * Every API answers errors the same way: a BerthError as `{code, message, hint?, details?}`
 * with its status; a malformed request as USAGE; anything else as a generic INTERNAL (logged
 * in full, never echoed, since fastify's default would send internal messages to the caller).
 */
export function replyWithBerthErrors(app: FastifyInstance, logName: string): void {
  app.setErrorHandler((error, request, reply) => {
    if (isBerthError(error)) {
      request.log.info({ code: error.code, route: request.routeOptions.url }, 'request refused');
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
    request.log.error({ err: error, route: request.routeOptions.url }, 'unexpected error');
    return reply
      .status(500)
      .send(new BerthError('INTERNAL', `internal error; see the ${logName} log`).toJSON());
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
}
