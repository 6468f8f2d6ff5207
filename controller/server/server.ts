import { replyWithBerthErrors } from '../../shared/http/berth-error-replies.ts';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { requireAgent } from './auth/require-agent.ts';
import { requireOperator } from './auth/require-operator.ts';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { agentPollRoutes } from './routes/agent-polls.ts';
import { agentReportRoutes } from './routes/agent-reports.ts';
import { controlRoutes } from './routes/controls.ts';
import { fleetRoutes } from './routes/fleet.ts';
import { hostRoutes } from './routes/hosts.ts';
import { identityRoutes } from './routes/identity.ts';
import { installRoutes } from './routes/install-routes.ts';
import { joinRoutes } from './routes/join.ts';
import { progressRoutes } from './routes/progress.ts';
import { releaseRoutes } from './routes/releases.ts';
import type { ControllerServerDeps } from './server-deps.ts';

export const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/**
 * The controller's HTTPS API and dashboard, built but not listening, so tests drive it with
 * inject(). /v1/identity and /v1/join are open; /v1/agents/:name/… need that host's agent
 * token; the rest of /v1 an operator token; the dashboard a session cookie.
 */
export function buildControllerServer(
  deps: ControllerServerDeps,
  options: { https?: { key: string; cert: string }; install?: { bundlesDir: string } } = {},
): FastifyInstance {
  const serverOptions: FastifyServerOptions & { https?: { key: string; cert: string } } = {
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    ...(options.https ? { https: options.https } : {}),
  };
  const app = Fastify(serverOptions) as unknown as FastifyInstance;

  replyWithBerthErrors(app, 'controller');
  // Held polls would keep close() waiting for up to longPollMaxMs: answer them now.
  app.addHook('preClose', async () => {
    deps.agentPolls.wakeAll();
    deps.progressPolls.wakeAll();
  });

  app.register(identityRoutes(deps));
  app.register(joinRoutes(deps));
  if (options.install)
    app.register(installRoutes({ ...options.install, certPem: options.https?.cert }));
  app.register(dashboardRoutes(deps));
  app.register(async (agentScope) => {
    agentScope.addHook('onRequest', requireAgent(deps));
    await agentScope.register(agentPollRoutes(deps));
    await agentScope.register(agentReportRoutes(deps));
  });
  app.register(async (operatorScope) => {
    operatorScope.addHook('onRequest', requireOperator(deps));
    await operatorScope.register(hostRoutes(deps));
    await operatorScope.register(releaseRoutes(deps));
    await operatorScope.register(controlRoutes(deps));
    await operatorScope.register(progressRoutes(deps));
    await operatorScope.register(fleetRoutes(deps));
  });
  return app;
}
