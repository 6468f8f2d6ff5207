import type { FastifyRequest } from 'fastify';
import { bearerToken, verifyOperatorToken } from '../../../shared/auth/operator-token.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called, from the operator token (subject), for the audit log. */
    operatorName?: string;
  }
}

/** Verifies an operator bearer token for this controller; returns the operator's name. */
export async function verifyOperator(
  deps: ControllerServerDeps,
  token: string | undefined,
): Promise<string> {
  const { subject } = await verifyOperatorToken(token, {
    trustedKeys: deps.settings.operatorKeys,
    audience: deps.settings.name,
    now: deps.now(),
  });
  return subject;
}

/** onRequest hook for the operator scope: a valid short-lived operator token, or 401. */
export function requireOperator(deps: ControllerServerDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    request.operatorName = await verifyOperator(deps, bearerToken(request.headers.authorization));
  };
}
