import type { Server } from 'node:http';
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { chmod, mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BerthError } from '../../shared/errors.ts';

/**
 * The listening sockets systemd passed (berth-proxy.socket, FileDescriptorName=http or https).
 * systemd holds them while the proxy restarts, so connections wait instead of being refused.
 */
export function passedSockets(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
): { http?: number; https?: number } {
  if (env.LISTEN_PID !== String(pid)) return {};
  const names = (env.LISTEN_FDNAMES ?? '').split(':');
  const sockets: { http?: number; https?: number } = {};
  for (let index = 0; index < Number(env.LISTEN_FDS ?? '0'); index++) {
    const name = names[index] || 'http';
    if (name === 'http' || name === 'https') sockets[name] ??= 3 + index;
  }
  return sockets;
}

/** Listens on an inherited descriptor when there is one, else binds `port` on `host`. */
export function listenOn(
  server: NetServer,
  fd: number | undefined,
  port: number,
  host: string,
): Promise<void> {
  return listen(server, () =>
    fd === undefined ? server.listen(port, host) : server.listen({ fd }),
  );
}

/**
 * Binds the admin socket under a temporary name and renames it into place. The rename makes
 * the socket appear whole, and it means closing this server never unlinks `socketPath`
 * (libuv unlinks the name it bound), so a successor can keep serving on it.
 */
export async function bindAdminSocket(server: Server, socketPath: string): Promise<void> {
  await claimSocketPath(socketPath);
  const boundPath = `${socketPath}.${process.pid}`;
  await rm(boundPath, { force: true });
  await listen(server, () => server.listen(boundPath));
  // Filesystem permissions are the admin API's only access control, as with kamal-proxy.
  await chmod(boundPath, 0o660);
  await rename(boundPath, socketPath);
}

/** Removes a stale socket file, but refuses to steal one that another proxy still answers on. */
async function claimSocketPath(socketPath: string): Promise<void> {
  await mkdir(dirname(socketPath), { recursive: true });
  const isAnswering = await new Promise<boolean>((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
  if (isAnswering) {
    throw new BerthError('USAGE', `another process already answers on ${socketPath}`, {
      hint: 'Stop the other proxy, or pass a different --socket.',
    });
  }
  await rm(socketPath, { force: true });
}

export function addressOf(server: NetServer): { host: string; port: number } {
  const address = server.address() as AddressInfo;
  return { host: address.address, port: address.port };
}

export function listen(server: NetServer, start: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve();
    });
    start();
  });
}

/** Starts closing `server` (no new connections) and resolves once every connection has ended. */
export function closed(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Whether `promise` settles within `timeoutMs`. */
export async function settlesWithin(
  promise: Promise<unknown>,
  timeoutMs: number,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
