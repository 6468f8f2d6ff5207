import type { FastifyInstance } from 'fastify';
import { BerthError } from '../../../shared/errors.ts';
import { parseKnownSequences } from '../known-sequences.ts';
import { holdMs, parseQuery, pollQuery } from '../query-params.ts';
import { releasesToHand } from '../releases-to-hand.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

/**
 * Agent: the newest release per service above what it knows, at once if there is one; else
 * held until a publish for this host wakes it or waitMs passes, then `{releases: []}`.
 */
export function agentPollRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/agents/:name/releases', async (request, reply) => {
      const name = request.agentHost ?? '';
      const query = parseQuery(pollQuery, request.query, 'known=BASE64URL_JSON and waitMs=MS');
      const known = parseKnownSequences(query.known);
      store.hosts.touch(name);
      const waitMs = holdMs(query.waitMs, deps.settings.longPollMaxMs);
      let releases = releasesToHand(store.releases.latestForHost(name), known);
      if (releases.length === 0 && waitMs > 0) {
        await deps.agentPolls.wait(name, waitMs, reply.raw);
        if (store.hosts.get(name)?.state !== 'active') {
          throw new BerthError('HOST_REVOKED', `host "${name}" was removed from this controller`);
        }
        releases = releasesToHand(store.releases.latestForHost(name), known);
      }
      return { releases: releases.map((release) => release.jws) };
    });
  };
}
