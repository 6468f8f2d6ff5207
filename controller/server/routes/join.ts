import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { JoinAnswer } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { formatPublicKey, parsePublicKey } from '../../../shared/keys/index.ts';
import { hostNamePattern } from '../../../shared/manifest/schema.ts';
import { checkJoin } from '../join-policy.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

const joinBody = z
  .object({
    secret: z.string().min(1).max(512),
    name: z.string().regex(hostNamePattern),
    signingPublicKey: z.string().min(1).max(2048),
    encryptionPublicKey: z.string().min(1).max(2048),
  })
  .strict();

/** Open, authenticated by the one-time secret: an agent registers its public keys once. */
export function joinRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/join', async (request): Promise<JoinAnswer> => {
      const body = joinBody.safeParse(request.body);
      if (!body.success) {
        throw new BerthError(
          'USAGE',
          'body must be {"secret", "name", "signingPublicKey", "encryptionPublicKey"}',
        );
      }
      const { name, secret } = body.data;
      checkJoin(name, store.hosts.get(name), secret, deps.now());
      const signing = parsePublicKey(body.data.signingPublicKey, 'Ed25519');
      const encryption = parsePublicKey(body.data.encryptionPublicKey, 'X25519');
      const joined = store.transaction(() => {
        const activated = store.hosts.activate(name, {
          signingPublicKey: formatPublicKey(signing),
          encryptionPublicKey: formatPublicKey(encryption),
        });
        if (activated)
          store.audit.append(name, 'host.join', `${name} joined with identity key ${signing.kid}`);
        return activated;
      });
      if (!joined) {
        throw new BerthError('JOIN_TOKEN_USED', `the join token for "${name}" was used already`);
      }
      request.log.info({ host: name, kid: signing.kid }, 'host joined');
      return { name, fleet: deps.settings.fleet, controllerName: deps.settings.name };
    });
  };
}
