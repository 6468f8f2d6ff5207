import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HostProgress, ReleaseProgress } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { holdMs, parseQuery, progressQuery } from '../query-params.ts';
import { releaseKey, type ControllerServerDeps } from '../server-deps.ts';
import type { StoredRelease } from '../state/records.ts';

const progressParams = z.object({
  service: z.string().min(1),
  sequence: z.coerce.number().int().positive(),
});

/** Per target host: state, error and the events after `after`; `cursor` is the newest event id. */
export function progressOf(
  deps: ControllerServerDeps,
  release: StoredRelease,
  after: number,
): ReleaseProgress {
  const { service, sequence } = release;
  const hosts: Record<string, HostProgress> = {};
  for (const entry of deps.store.progress.states(service, sequence)) {
    hosts[entry.host] = { state: entry.state, error: entry.error, events: [] };
  }
  for (const { host, ...event } of deps.store.progress.events(service, sequence, after)) {
    hosts[host]?.events.push(event);
  }
  const cursor = Math.max(after, deps.store.progress.lastEventId(service, sequence));
  return { service, sequence, version: release.version, hosts, cursor };
}

/** Operator: follow a release across its hosts; held until an agent reports, or waitMs. */
export function progressRoutes(deps: ControllerServerDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/releases/:service/:sequence/progress', async (request, reply) => {
      const params = progressParams.safeParse(request.params);
      if (!params.success)
        throw new BerthError('USAGE', 'the path is /v1/releases/SERVICE/SEQUENCE/progress');
      const query = parseQuery(progressQuery, request.query, 'after=EVENT_ID and waitMs=MS');
      const { service, sequence } = params.data;
      const release = deps.store.releases.get(service, sequence);
      if (!release)
        throw new BerthError('NOT_FOUND', `no release ${service} #${sequence} was published`);
      const after = query.after ?? 0;
      const waitMs = holdMs(query.waitMs, deps.settings.longPollMaxMs);
      const isNews = deps.store.progress.lastEventId(service, sequence) > after;
      if (query.after !== undefined && waitMs > 0 && !isNews) {
        await deps.progressPolls.wait(releaseKey(service, sequence), waitMs, reply.raw);
      }
      return progressOf(deps, release, after);
    });
  };
}
