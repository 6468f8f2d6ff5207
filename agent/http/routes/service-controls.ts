import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AgentServiceControls } from '../../../shared/api/agent-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import {
  MAX_MAINTENANCE_MESSAGE_CHARS,
  MAX_PAUSE_LIMIT_MS,
  type ControlAction,
} from '../../../shared/manifest/control-schema.ts';
import { serviceNamePattern } from '../../../shared/manifest/schema.ts';
import type { HttpDeps } from '../http-deps.ts';
import { changeServiceControls } from '../service-control-changes.ts';

/** How long a pause holds requests when the caller names no limit (kamal-proxy's default). */
export const defaultMaxPauseMs = 30_000;

const params = z.object({ service: z.string().regex(serviceNamePattern) });
const maintenanceBody = z
  .object({ on: z.boolean(), message: z.string().max(MAX_MAINTENANCE_MESSAGE_CHARS).optional() })
  .strict();
const pauseBody = z
  .object({
    maxPauseMs: z.number().int().positive().max(MAX_PAUSE_LIMIT_MS).default(defaultMaxPauseMs),
  })
  .strict();

/**
 * Maintenance and pause for a service's proxied roles on this host (`berth maintenance`,
 * `berth pause`, `berth resume` in direct mode). Each answers the routes' controls after the change.
 */
export function serviceControlRoutes(deps: HttpDeps) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/services/:service/maintenance', async (request) => {
      const body = maintenanceBody.safeParse(request.body);
      if (!body.success) {
        throw new BerthError('USAGE', 'body must be {"on": true|false, "message"?: "text"}');
      }
      const { on, message } = body.data;
      const action: ControlAction = on
        ? { action: 'maintenance-on', ...(message === undefined ? {} : { message }) }
        : { action: 'maintenance-off' };
      return apply(deps, request, action);
    });

    app.post('/v1/services/:service/pause', async (request) => {
      const body = pauseBody.safeParse(request.body ?? {});
      if (!body.success) {
        throw new BerthError('USAGE', `body must be {"maxPauseMs"?: 1..${MAX_PAUSE_LIMIT_MS}}`);
      }
      return apply(deps, request, { action: 'pause', maxPauseMs: body.data.maxPauseMs });
    });

    app.post('/v1/services/:service/resume', async (request) =>
      apply(deps, request, { action: 'resume' }),
    );
  };
}

async function apply(
  deps: HttpDeps,
  request: FastifyRequest,
  action: ControlAction,
): Promise<AgentServiceControls> {
  const parsed = params.safeParse(request.params);
  if (!parsed.success) throw new BerthError('USAGE', 'invalid service name');
  const { service } = parsed.data;
  const answer = await changeServiceControls(deps, service, action);
  request.log.info(
    { service, action: action.action, by: request.operator?.subject },
    'service controls changed',
  );
  return answer;
}
