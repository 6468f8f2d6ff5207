import type { FastifyInstance } from 'fastify';
import type { ControllerIdentity } from '../../../shared/api/controller-api.ts';
import { formatPublicKey } from '../../../shared/keys/index.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

/** Open: who this controller is, so clients learn the token audience and the release keys. */
export function identityRoutes(deps: ControllerServerDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/identity', async (): Promise<ControllerIdentity> => ({
      name: deps.settings.name,
      fleet: deps.settings.fleet,
      releaseKeys: deps.settings.releaseKeys.map(formatPublicKey),
      publicKeyPin: deps.settings.publicKeyPin ?? null,
    }));
  };
}
