import type { FastifyInstance } from 'fastify';
import { BerthError } from '../../../shared/errors.ts';
import { agentReportSchema } from '../agent-report-schema.ts';
import { controlKey, releaseKey, type ControllerServerDeps } from '../server-deps.ts';

/** Room for a full report: up to 500 events of up to 16 KiB each, after a long outage. */
const REPORT_BODY_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Agent: its status, deployment progress, refusals and service control results. Progress and
 * results go only to releases and controls that target the reporting host; everything else is
 * ignored. Wakes the operators following them.
 */
export function agentReportRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.post(
      '/v1/agents/:name/reports',
      { bodyLimit: REPORT_BODY_LIMIT_BYTES },
      async (request, reply) => {
        const name = request.agentHost ?? '';
        const parsed = agentReportSchema.safeParse(request.body);
        if (!parsed.success) {
          throw new BerthError(
            'USAGE',
            'body must be an agent report {status, progress, refusals, controls?}',
          );
        }
        const report = parsed.data;
        const at = deps.now().toISOString();
        const changed = new Set<string>();
        store.transaction(() => {
          store.hosts.touch(name);
          store.hosts.saveStatus(name, report.status);
          for (const progress of report.progress) {
            if (store.progress.record(name, progress, progress)) {
              changed.add(releaseKey(progress.service, progress.sequence));
            }
          }
          for (const refusal of report.refusals) {
            const error = { code: refusal.code, message: refusal.message, details: [] };
            const event = {
              at,
              step: 'refused',
              role: null,
              message: refusal.message,
              data: { code: refusal.code },
            };
            if (
              store.progress.record(name, refusal, { state: 'refused', error, events: [event] })
            ) {
              changed.add(releaseKey(refusal.service, refusal.sequence));
            }
          }
          for (const control of report.controls) {
            if (store.controls.record(name, control)) {
              changed.add(controlKey(control.service, control.sequence));
            }
          }
        });
        for (const key of changed) deps.progressPolls.wake(key);
        return reply.status(204).send();
      },
    );
  };
}
