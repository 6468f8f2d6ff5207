import type { FastifyInstance } from 'fastify';
import type { AgentPollAnswer } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { controlsToHand } from '../control-view.ts';
import { parseKnownSequences } from '../known-sequences.ts';
import { holdMs, parseQuery, pollQuery } from '../query-params.ts';
import { releasesToHand } from '../releases-to-hand.ts';
import type { ControllerServerDeps } from '../server-deps.ts';

/**
 * Agent: the newest release per service above what it knows and, when it asks with `controls`,
 * the service controls pending for it above what it has decided on; at once if there is any;
 * else held until a publish for this host wakes it or waitMs passes, then nothing.
 */
export function agentPollRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/v1/agents/:name/releases', async (request, reply) => {
      const name = request.agentHost ?? '';
      const query = parseQuery(
        pollQuery,
        request.query,
        'known=BASE64URL_JSON, controls=BASE64URL_JSON and waitMs=MS',
      );
      const known = parseKnownSequences(query.known);
      const knownControls =
        query.controls === undefined ? null : parseKnownSequences(query.controls);
      store.hosts.touch(name);
      const waitMs = holdMs(query.waitMs, deps.settings.longPollMaxMs);
      const work = (): AgentPollAnswer => {
        const releases = releasesToHand(store.releases.latestForHost(name), known);
        const answer: AgentPollAnswer = { releases: releases.map((release) => release.jws) };
        if (knownControls !== null) {
          const controls = controlsToHand(store.controls.pendingForHost(name), knownControls);
          answer.controls = controls.map((control) => control.jws);
        }
        return answer;
      };
      let answer = work();
      if (answer.releases.length === 0 && !answer.controls?.length && waitMs > 0) {
        await deps.agentPolls.wait(name, waitMs, reply.raw);
        if (store.hosts.get(name)?.state !== 'active') {
          throw new BerthError('HOST_REVOKED', `host "${name}" was removed from this controller`);
        }
        answer = work();
      }
      return answer;
    });
  };
}
