import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { DrainResult } from './admin-protocol.ts';
import {
  handleAdmin,
  isAdminChange,
  type AdminDependencies,
  type AdminReply,
  type AdminRequest,
} from './admin-handler.ts';
import { metricsContentType } from './metrics-endpoint.ts';

export type { AdminDependencies } from './admin-handler.ts';

const maxBodyBytes = 64 * 1024;

/** The other processes serving the same sockets (see replica-set.ts), as the admin API sees them. */
export interface AdminReplicas {
  /**
   * Runs `applyHere`, then (when it succeeded) the same change on every replica, one change
   * at a time; resolves once all have applied it.
   */
  change(request: AdminRequest, applyHere: () => Promise<AdminReply>): Promise<AdminReply>;
  drain(request: AdminRequest): Promise<DrainResult[]>;
  withReplicaMetrics(own: string): Promise<string>;
  readonly pids: number[];
}

/**
 * The admin API of admin-protocol.ts, as an HTTP server to be bound to the Unix socket. With
 * replicas, changes run one at a time and reach every replica before the caller hears back,
 * so a drain that follows a switch finds no process still sending to the old target.
 */
export function createAdminServer(deps: AdminDependencies & { replicas?: AdminReplicas }): Server {
  const answer = async (request: AdminRequest, signal: AbortSignal): Promise<AdminReply> => {
    const { replicas } = deps;
    if (replicas === undefined) return handleAdmin(request, deps, signal);
    if (isAdminChange(request)) {
      return replicas.change(request, () => handleAdmin(request, deps, signal));
    }
    if (request.method === 'POST' && request.path === '/targets/drain') {
      const [local, remote] = await Promise.all([
        handleAdmin(request, deps, signal),
        replicas.drain(request),
      ]);
      if (local.status !== 200) return local;
      const results = [local.json as DrainResult, ...remote];
      const drained = results.every((result) => result.drained);
      const remaining = results.reduce((sum, result) => sum + result.remaining, 0);
      return { status: 200, json: { drained, remaining } };
    }
    if (request.method === 'GET' && request.path === '/health') {
      return { status: 200, json: { ok: true, pid: process.pid, replicaPids: replicas.pids } };
    }
    if (request.method === 'GET' && request.path === '/metrics') {
      const local = await handleAdmin(request, deps);
      return { status: 200, text: await replicas.withReplicaMetrics(local.text ?? '') };
    }
    return handleAdmin(request, deps, signal);
  };

  return createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const request = { method: req.method ?? 'GET', path, body };
        send(res, await answer(request, abortedWhenClosed(res)));
      },
      () =>
        send(res, {
          status: 413,
          json: { code: 'USAGE', message: `body over ${maxBodyBytes} bytes` },
        }),
    );
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) throw new Error('admin body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Aborts a long health check when the caller hangs up, so it stops probing the target. */
function abortedWhenClosed(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

function send(res: ServerResponse, reply: AdminReply): void {
  if (res.headersSent || res.destroyed) return;
  const isText = reply.text !== undefined;
  const body = isText ? (reply.text ?? '') : JSON.stringify(reply.json);
  res.writeHead(reply.status, {
    'content-type': isText ? metricsContentType : 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
