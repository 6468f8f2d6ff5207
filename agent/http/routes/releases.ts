import type { AgentReleaseRecord } from '../../../shared/api/agent-api.ts';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BerthError } from '../../../shared/errors.ts';
import type { HttpDeps } from '../http-deps.ts';
import { decodeStoredManifest } from '../../deployer/stored-manifest.ts';

const publishBody = z.object({ release: z.string().min(1).max(1_000_000) }).strict();
const historyQuery = z.object({
  service: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export function releaseRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/releases', async (request, reply) => {
      const body = publishBody.safeParse(request.body);
      if (!body.success) throw new BerthError('USAGE', 'body must be {"release": "<compact JWS>"}');
      const manifest = await deps.verifyRelease(body.data.release);
      const deployment = await deps.deployer.start(manifest, body.data.release);
      request.log.info(
        {
          service: manifest.service,
          sequence: manifest.sequence,
          by: request.operator?.subject,
          deployment: deployment.id,
        },
        'release accepted',
      );
      return reply.status(202).send({ deployment });
    });

    app.get('/v1/releases', async (request) => {
      const query = historyQuery.safeParse(request.query);
      if (!query.success)
        throw new BerthError('USAGE', 'query takes service=NAME and limit=1..500');
      const releases = deps.store
        .releases(query.data.service ?? null, query.data.limit)
        .map((release): AgentReleaseRecord => {
          const manifest = decodeStoredManifest(release.jws);
          const outcome =
            deps.store.deploymentsFor(release.service, release.sequence).at(-1) ?? null;
          return {
            service: release.service,
            sequence: release.sequence,
            version: release.version,
            image: release.image,
            issuedBy: release.issuedBy,
            issuedAt: manifest.issuedAt,
            receivedAt: release.receivedAt,
            rollbackOf: manifest.rollbackOf ?? null,
            state: outcome?.state ?? 'received',
            live: deps.store.service(release.service)?.liveSequence === release.sequence,
            jws: release.jws,
          };
        });
      return { releases };
    });
  };
}
