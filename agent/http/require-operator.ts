import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpDeps } from './http-deps.ts';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: { subject: string };
  }
}

/** onRequest hook for the operator scope: a valid short-lived token for this agent, or 401. */
export function requireOperator(deps: HttpDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    request.operator = await deps.verifyOperator(token);
  };
}
