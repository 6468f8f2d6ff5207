import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { HostRecord, HostTokenIssued } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { hostNamePattern } from '../../../shared/manifest/schema.ts';
import { hashJoinSecret, newJoinSecret } from '../auth/join-secret.ts';
import type { ControllerServerDeps } from '../server-deps.ts';
import type { StoredHost } from '../state/records.ts';

const addBody = z.object({ name: z.string().regex(hostNamePattern) }).strict();

/** The API's view of a host: never its join token hash. */
export function toHostRecord(host: StoredHost): HostRecord {
  return {
    name: host.name,
    state: host.state,
    createdAt: host.createdAt,
    joinedAt: host.joinedAt,
    revokedAt: host.revokedAt,
    lastSeenAt: host.lastSeenAt,
    signingPublicKey: host.signingPublicKey,
    encryptionPublicKey: host.encryptionPublicKey,
  };
}

/** Operator: register hosts (a one-time join secret each), list them, revoke them. */
export function hostRoutes(deps: ControllerServerDeps) {
  const { store } = deps;
  return async (app: FastifyInstance): Promise<void> => {
    app.post('/v1/hosts', async (request, reply) => {
      const body = addBody.safeParse(request.body);
      if (!body.success) {
        throw new BerthError(
          'USAGE',
          'body must be {"name": NAME} (letters, digits, ".", "_", "-")',
        );
      }
      const { name } = body.data;
      const existing = store.hosts.get(name);
      const alreadyJoined = new BerthError('HOST_EXISTS', `host "${name}" has already joined`, {
        hint: `to join it again, remove it first: berth hosts remove ${name}`,
      });
      if (existing?.state === 'active') throw alreadyJoined;
      const secret = newJoinSecret();
      const ttlMs = deps.settings.joinTokenTtlSeconds * 1000;
      const expiresAt = new Date(deps.now().getTime() + ttlMs).toISOString();
      const issued = store.transaction(() => {
        if (!store.hosts.issueToken(name, hashJoinSecret(secret), expiresAt)) return false;
        const action = existing?.state === 'pending' ? 'host.reissue' : 'host.add';
        store.audit.append(operator(request), action, `${name}; join token expires ${expiresAt}`);
        return true;
      });
      if (!issued) throw alreadyJoined;
      const answer: HostTokenIssued = { name, secret, expiresAt };
      return reply.status(201).send(answer);
    });

    app.get('/v1/hosts', async () => ({ hosts: store.hosts.list().map(toHostRecord) }));

    app.delete('/v1/hosts/:name', async (request) => {
      const { name } = request.params as { name: string };
      const revoked = store.transaction(() => {
        if (!store.hosts.revoke(name)) return false;
        store.audit.append(operator(request), 'host.remove', name);
        return true;
      });
      const host = store.hosts.get(name);
      if (!host?.revokedAt) throw new BerthError('NOT_FOUND', `no host named "${name}"`);
      if (revoked) {
        deps.agentPolls.wake(name);
        request.log.info({ host: name, by: request.operatorName }, 'host removed');
      }
      return { name, revokedAt: host.revokedAt };
    });
  };
}

function operator(request: { operatorName?: string }): string {
  return request.operatorName ?? 'unknown';
}
