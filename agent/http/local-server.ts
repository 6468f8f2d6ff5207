import { replyWithBerthErrors } from '../../shared/http/berth-error-replies.ts';
import { chmod, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BerthError } from '../../shared/errors.ts';
import type { HttpDeps } from './http-deps.ts';
import { chooseLocalRollbackTarget } from './local-rollback.ts';
import { deploymentRoutes } from './routes/deployments.ts';

export const LOCAL_SOCKET_FILE_NAME = 'agent.sock';

const rollbackParams = z.object({ service: z.string().min(1).max(100) });
const rollbackBody = z.object({ version: z.string().min(1).max(200).optional() }).strict();

/**
 * The agent's admin API for root on this server only, on a Unix socket (mode 0600): works
 * when the controller is away. POST /local/services/:service/rollback {version?} and
 * GET /v1/deployments/:id (the same progress route as the HTTPS API).
 */
export function buildLocalServer(deps: HttpDeps): FastifyInstance {
  // As in server.ts: pino's Logger is wider than the FastifyBaseLogger the instance type names.
  const app = Fastify({
    loggerInstance: deps.logger,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  replyWithBerthErrors(app, 'agent');

  app.post('/local/services/:service/rollback', async (request, reply) => {
    const params = rollbackParams.safeParse(request.params);
    const body = rollbackBody.safeParse(request.body ?? {});
    if (!params.success || !body.success) {
      throw new BerthError('USAGE', 'use POST /local/services/SERVICE/rollback {"version"?: "…"}');
    }
    const { service } = params.data;
    const target = chooseLocalRollbackTarget(deps.store, service, body.data.version);
    const deployment = await deps.deployer.redeploy(service, target.sequence);
    request.log.warn(
      { service, sequence: target.sequence, version: target.version, deployment: deployment.id },
      'local rollback started',
    );
    return reply.status(202).send({
      deployment,
      release: { service, sequence: target.sequence, version: target.version },
    });
  });
  app.register(deploymentRoutes(deps));
  return app;
}

/** Listens on the socket, root-only. A stale socket from a crash is replaced; a live one is not. */
export async function listenOnSocket(app: FastifyInstance, socketPath: string): Promise<void> {
  if (await isAnswering(socketPath)) {
    throw new BerthError('USAGE', `another agent already listens on ${socketPath}`, {
      hint: 'stop it first, or give this agent its own --data-dir',
    });
  }
  await unlink(socketPath).catch(() => undefined);
  await app.listen({ path: socketPath });
  await chmod(socketPath, 0o600);
}

function isAnswering(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
