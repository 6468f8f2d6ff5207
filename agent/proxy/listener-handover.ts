import { spawn, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:net';
import { BerthError } from '../../shared/errors.ts';

/**
 * Hands the proxy's listening sockets to a fresh copy of itself (a restart or an upgrade to the
 * binary now on disk), the way nginx's binary upgrade does: the successor inherits the very
 * sockets, so no connection is ever refused, and the predecessor drains its own clients.
 *
 * Node 20 cannot pass a descriptor over a Unix socket (SCM_RIGHTS) to an unrelated process, so
 * the predecessor spawns the successor with the descriptors as extra stdio entries and talks
 * to it over the IPC channel:
 *
 *   predecessor                               successor
 *   spawn(fds, ipc) ──────────────────────▶  starts, waits
 *   stops taking admin commands, finishes
 *   the ones in flight
 *   'go' ─────────────────────────────────▶  restores the routing table, listens on the fds
 *   ◀──────────────────────────────────────  'ready'
 *   stops accepting, drains its clients, exits
 */

/** `name=fd,…` of the inherited listening sockets; set only for a successor. */
export const handoverEnvName = 'BERTH_PROXY_FDS';
const successorReadyTimeoutMs = 30_000;

export type ListenerName = 'http' | 'https' | 'admin' | 'metrics';
export type ListenerFds = Partial<Record<ListenerName, number>>;

/** The descriptors a predecessor passed, when this process is a successor. */
export function inheritedListeners(env: NodeJS.ProcessEnv = process.env): ListenerFds {
  const listeners: ListenerFds = {};
  for (const entry of (env[handoverEnvName] ?? '').split(',')) {
    const [name, fd] = entry.split('=');
    if ((name === 'http' || name === 'https' || name === 'admin' || name === 'metrics') && fd) {
      listeners[name] = Number(fd);
    }
  }
  return listeners;
}

/**
 * The successor's side. Resolves when the predecessor says its admin socket is quiet (or
 * is gone), so the routing table on disk is final; `ready()` tells it to let go.
 */
export async function awaitPredecessor(): Promise<{ ready(): void }> {
  if (process.send === undefined) return { ready: () => {} };
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.once('disconnect', () => resolve());
  });
  return {
    ready: () => {
      if (process.connected) process.send?.('ready', () => process.disconnect());
    },
  };
}

/** The underlying descriptor of a listening server (Unix only; node:net has no public getter). */
export function descriptorOf(server: Server): number {
  const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new BerthError('INTERNAL', 'a listening socket has no file descriptor to hand over');
  }
  return fd;
}

export interface Successor {
  /** Tell the successor the admin socket is quiet: it may load the routing table and start. */
  go(): void;
  /** Resolves once the successor serves; rejects (and kills it) if it exits or stalls first. */
  readonly ready: Promise<number>;
}

/** Starts a copy of this process (same runtime flags and arguments) holding `listeners`. */
export function spawnSuccessor(listeners: Partial<Record<ListenerName, Server>>): Successor {
  const child = spawnSelfWith(listeners, {}, { detached: true });
  const ready = whenReady(child, 'the new proxy process').then((pid) => {
    // This process exits once its clients are gone; the successor must not hold it up.
    child.unref();
    return pid;
  });
  return { go: () => child.send('go'), ready };
}

/**
 * Spawns this process's command line again with `listeners` as inherited descriptors (named in
 * BERTH_PROXY_FDS) and an IPC channel; `env` is added to this process's environment.
 */
export function spawnSelfWith(
  listeners: Partial<Record<ListenerName, Server>>,
  env: NodeJS.ProcessEnv,
  options: { detached: boolean },
): ChildProcess {
  const entries = Object.entries(listeners);
  const firstFd = 4; // 0–2 stdio, 3 the IPC channel
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    [handoverEnvName]: entries.map(([name], index) => `${name}=${firstFd + index}`).join(','),
  };
  // The child must not mistake systemd's descriptors, meant for this process, for its own.
  delete childEnv.LISTEN_FDS;
  delete childEnv.LISTEN_PID;
  delete childEnv.LISTEN_FDNAMES;
  return spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: options.detached,
    env: childEnv,
    stdio: [
      'ignore',
      'inherit',
      'inherit',
      'ipc',
      ...entries.map(([, server]) => descriptorOf(server)),
    ],
  });
}

/**
 * Resolves with the child's pid on its first IPC message ("serving"); rejects and kills it if
 * it exits, fails to start or stays silent for 30 s.
 */
export function whenReady(child: ChildProcess, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new BerthError('PROXY_UNAVAILABLE', `${what} ${reason}`));
    };
    const timer = setTimeout(
      () => fail(`did not start within ${successorReadyTimeoutMs} ms`),
      successorReadyTimeoutMs,
    );
    child.once('exit', (code, signal) =>
      fail(`exited (${signal ?? `code ${code}`}) before serving`),
    );
    child.once('error', (error) => fail(`could not start: ${error.message}`));
    child.once('message', () => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve(child.pid ?? 0);
    });
  });
}
