import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ControlHistoryEntry, PublishedControl } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { actionOf, describeAction } from '../../../shared/manifest/control-schema.ts';
import { verifyControlSignature } from '../../../shared/manifest/control-signing.ts';
import { checkControlPublication } from '../control-publish-policy.ts';
import { controlEntry } from '../control-view.ts';
import { holdMs, parseQuery, releasesQuery, waitQuery } from '../query-params.ts';
import { controlKey, type ControllerServerDeps } from '../server-deps.ts';
import type { StoredControl } from '../state/control-table.ts';

const publishBody = z.object({ control: z.string().min(1).max(100_000) }).strict();
const controlParams = z.object({
  service: z.string().min(1),
  sequence: z.coerce.number().int().positive(),
});
const followQuery = waitQuery.extend({ settled: z.coerce.number().int().nonnegative().optional() });

/**
 * Operator: upload a signed service control (maintenance, pause, resume), verified as an agent
 * would, for the targets' next poll; list them; follow one until its targets report.
 */
export function controlRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  const entryOf = (control: StoredControl): ControlHistoryEntry =>
    controlEntry(control, store.controls.hosts(control.service, control.sequence), deps.now());

  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/controls', async (request, reply) => {
      const body = publishBody.safeParse(request.body);
      if (!body.success) throw new BerthError('USAGE', 'body must be {"control": "<compact JWS>"}');
      const jws = body.data.control;
      const control = await verifyControlSignature(jws, deps.settings.releaseKeys);
      // From here to the insert nothing awaits, so no other upload can slip in between.
      const targets = checkControlPublication(control, {
        fleet: deps.settings.fleet,
        highestSequence: store.controls.highestSequence(control.service),
        hostState: (name) => store.hosts.get(name)?.state ?? null,
        now: deps.now(),
      });
      const publishedBy = request.operatorName ?? 'unknown';
      const { service, sequence, action, expiresAt } = control;
      const what = describeAction(actionOf(control));
      store.transaction(() => {
        store.controls.insert(
          {
            service,
            sequence,
            action,
            message: control.message ?? null,
            maxPauseMs: control.maxPauseMs ?? null,
            issuedBy: control.issuedBy,
            publishedBy,
            publishedAt: deps.now().toISOString(),
            expiresAt,
            jws,
          },
          targets,
        );
        store.audit.append(
          publishedBy,
          'control.publish',
          `${service} #${sequence} ${what} to ${targets.join(', ')} (signed by ${control.issuedBy}, expires ${expiresAt})`,
        );
      });
      for (const host of targets) deps.agentPolls.wake(host);
      request.log.info(
        { service, sequence, action, by: publishedBy, targets },
        'control published',
      );
      const answer: PublishedControl = { service, sequence, action, targets, expiresAt };
      return reply.status(201).send(answer);
    });

    app.get('/v1/controls', async (request) => {
      const query = parseQuery(releasesQuery, request.query, 'service=NAME and limit=1..500');
      return { controls: store.controls.list(query.service ?? null, query.limit).map(entryOf) };
    });

    app.get('/v1/controls/:service/:sequence', async (request, reply) => {
      const params = controlParams.safeParse(request.params);
      if (!params.success)
        throw new BerthError('USAGE', 'the path is /v1/controls/SERVICE/SEQUENCE');
      const query = parseQuery(followQuery, request.query, 'settled=COUNT and waitMs=MS');
      const { service, sequence } = params.data;
      const control = store.controls.get(service, sequence);
      if (!control) {
        throw new BerthError('NOT_FOUND', `no control ${service} #${sequence} was published`);
      }
      const entry = entryOf(control);
      const waitMs = holdMs(query.waitMs, deps.settings.longPollMaxMs);
      const targets = Object.keys(entry.hosts).length;
      if (
        query.settled !== undefined &&
        waitMs > 0 &&
        entry.settled <= query.settled &&
        entry.settled < targets
      ) {
        await deps.progressPolls.wait(controlKey(service, sequence), waitMs, reply.raw);
        return entryOf(control);
      }
      return entry;
    });
  };
}
