import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PublishedRelease, ReleaseHistoryEntry } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { verifyReleaseSignature } from '../../../shared/manifest/signing.ts';
import { checkPublication } from '../publish-policy.ts';
import { parseQuery, releasesQuery } from '../query-params.ts';
import { releaseKey, type ControllerServerDeps } from '../server-deps.ts';
import type { StoredRelease } from '../state/records.ts';

const publishBody = z.object({ release: z.string().min(1).max(1_000_000) }).strict();

/** Operator: publish a signed release (verified as an agent would), list the history. */
export function releaseRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/releases', async (request, reply) => {
      const body = publishBody.safeParse(request.body);
      if (!body.success) throw new BerthError('USAGE', 'body must be {"release": "<compact JWS>"}');
      const jws = body.data.release;
      const manifest = await verifyReleaseSignature(jws, deps.settings.releaseKeys);
      // From here to the insert nothing awaits, so no other publish can slip in between.
      const targets = checkPublication(manifest, {
        fleet: deps.settings.fleet,
        highestSequence: store.releases.highestSequence(manifest.service),
        hostState: (name) => store.hosts.get(name)?.state ?? null,
        now: deps.now(),
      });
      const publishedBy = request.operatorName ?? 'unknown';
      const { service, sequence, version } = manifest;
      const superseded = store.transaction(() => {
        store.releases.insert({
          service,
          sequence,
          version,
          image: manifest.image,
          issuedBy: manifest.issuedBy,
          publishedBy,
          publishedAt: deps.now().toISOString(),
          rollbackOf: manifest.rollbackOf ?? null,
          jws,
        });
        const older = store.progress.open(service, sequence, targets);
        const rollback = manifest.rollbackOf ? `, rolling back to #${manifest.rollbackOf}` : '';
        store.audit.append(
          publishedBy,
          'release.publish',
          `${service} #${sequence} ${version} (${manifest.image}) to ${targets.join(', ')}${rollback}`,
        );
        return older;
      });
      for (const host of targets) deps.agentPolls.wake(host);
      for (const older of superseded) deps.progressPolls.wake(releaseKey(service, older));
      request.log.info(
        { service, sequence, version, by: publishedBy, targets },
        'release published',
      );
      const answer: PublishedRelease = { service, sequence, version, targets };
      return reply.status(201).send(answer);
    });

    app.get('/v1/releases', async (request) => {
      const query = parseQuery(releasesQuery, request.query, 'service=NAME and limit=1..500');
      const releases = store.releases
        .list(query.service ?? null, query.limit)
        .map((release) => historyEntry(deps, release));
      return { releases };
    });
  };
}

export function historyEntry(
  deps: ControllerServerDeps,
  release: StoredRelease,
): ReleaseHistoryEntry {
  const states = deps.store.progress.states(release.service, release.sequence);
  return {
    ...release,
    hosts: Object.fromEntries(states.map((entry) => [entry.host, entry.state])),
  };
}
