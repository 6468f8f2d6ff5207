import type { FastifyRequest } from 'fastify';
import { bearerToken, verifyOperatorToken } from '../../../shared/auth/operator-token.ts';
import { BerthError, isBerthError } from '../../../shared/errors.ts';
import { parsePublicKey } from '../../../shared/keys/index.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The joined host the agent token proved to be, on /v1/agents/:name routes. */
    agentHost?: string;
  }
}

/** Agent tokens share the operator token format, so its messages are reworded for agents. */
function asAgentError(error: unknown): unknown {
  if (!isBerthError(error) || !error.message.includes('operator token')) return error;
  return new BerthError(error.code, error.message.replaceAll('operator token', 'agent token'));
}

/**
 * onRequest hook for /v1/agents/:name/…: a token signed by the key that host registered at
 * join, for this controller, naming the host as subject. Revoked hosts are refused even with a
 * good token.
 */
export function requireAgent(deps: ControllerServerDeps) {
  return async (request: FastifyRequest): Promise<void> => {
    const { name } = request.params as { name?: string };
    const host = name ? deps.store.hosts.get(name) : null;
    if (!name || !host?.signingPublicKey) {
      throw new BerthError(
        'AUTH_INVALID',
        `no host named "${name ?? ''}" has joined this controller`,
        {
          hint: 'join it: `berth hosts add NAME`, then `berth-agent join TOKEN` on the server',
        },
      );
    }
    let subject: string;
    try {
      ({ subject } = await verifyOperatorToken(bearerToken(request.headers.authorization), {
        trustedKeys: [parsePublicKey(host.signingPublicKey, 'Ed25519')],
        audience: deps.settings.name,
        now: deps.now(),
      }));
    } catch (error) {
      throw asAgentError(error);
    }
    if (subject !== name) {
      throw new BerthError('AUTH_INVALID', `agent token names host "${subject}", not "${name}"`);
    }
    if (host.state === 'revoked') {
      throw new BerthError(
        'HOST_REVOKED',
        `host "${name}" was removed from this controller at ${host.revokedAt ?? '?'}`,
        {
          hint: 'add it again with `berth hosts add NAME` and re-join',
        },
      );
    }
    request.agentHost = name;
  };
}
