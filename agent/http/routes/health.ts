import type { FastifyInstance } from 'fastify';
import type { HttpDeps } from '../http-deps.ts';

export function healthRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/health', async () => ({
      ok: true,
      name: deps.hostName,
      fleet: deps.fleet,
      version: deps.agentVersion,
    }));
    app.get('/v1/identity', async () => ({
      name: deps.hostName,
      fleet: deps.fleet,
      signingPublicKey: deps.identity.signingPublicKey,
      encryptionPublicKey: deps.identity.encryptionPublicKey,
    }));
  };
}
