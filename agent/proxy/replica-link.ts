import type { AdminDependencies, AdminReply, AdminRequest } from './admin-handler.ts';
import { handleAdmin } from './admin-handler.ts';
import type { AcmeChallenges } from './tls/acme-challenges.ts';
import type { CertificateStore } from './tls/certificate-store.ts';

/** Set (to the replica's number) in a replica's environment by its primary. */
export const replicaEnvName = 'BERTH_PROXY_REPLICA';

/** What a primary asks of a replica over IPC. */
export type ReplicaMessage =
  | { kind: 'admin'; request: AdminRequest }
  | { kind: 'challenge'; token: string; keyAuthorization?: string }
  | { kind: 'reload-certificates' };

export type ReplicaAnswer = { id: number; reply?: AdminReply; failed?: string };

/** This process's replica number, when a primary started it as one. */
export function replicaNumber(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env[replicaEnvName]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * The replica's side: answers its primary's messages with the same admin handler the socket
 * uses, and says it serves. `onOrphaned` runs when the primary goes away (it exited or was
 * killed): the replica then lets its clients go and exits too.
 */
export function serveReplicaLink(
  deps: AdminDependencies & { challenges: AcmeChallenges; store: CertificateStore },
  onOrphaned: () => void,
): { detach(): void } {
  const send = (answer: ReplicaAnswer): void => {
    if (process.connected) process.send?.(answer);
  };
  process.on('message', (message: ReplicaMessage & { id: number }) => {
    void answer(message).then(
      (reply) => send({ id: message.id, reply }),
      (error: unknown) => send({ id: message.id, failed: String(error) }),
    );
  });
  process.once('disconnect', onOrphaned);
  process.send?.('ready');
  return {
    // After its own shutdown: the open channel would keep this process alive.
    detach: () => {
      process.off('disconnect', onOrphaned);
      if (process.connected) process.disconnect();
    },
  };

  async function answer(message: ReplicaMessage): Promise<AdminReply> {
    switch (message.kind) {
      case 'admin':
        return handleAdmin(message.request, deps);
      case 'challenge':
        await (message.keyAuthorization === undefined
          ? deps.challenges.delete(message.token)
          : deps.challenges.set(message.token, message.keyAuthorization));
        return { status: 200, json: {} };
      case 'reload-certificates':
        await deps.store.load();
        return { status: 200, json: {} };
    }
  }
}
