import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { createAdminServer } from './admin-server.ts';
import { ServiceRoutes } from './service-routes.ts';
import { createTrafficHandler } from './traffic-handler.ts';
import { UpgradeTunnels } from './upgrade-tunnel.ts';
import { UpstreamRegistry } from './upstream-registry.ts';

export const defaultShutdownTimeoutMs = 10_000;

export interface ProxyOptions {
  httpPort: number;
  /** Default: all interfaces. */
  httpHost?: string;
  adminSocketPath: string;
  statePath: string;
  logger: Logger;
  /** How long `close()` waits for in-flight requests before cutting them. */
  shutdownTimeoutMs?: number;
}

export interface RunningProxy {
  httpAddress: { host: string; port: number };
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then exits. */
  close(): Promise<void>;
}

/** Starts the proxy: restores the routing table, then serves app traffic and the admin socket. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger, statePath, adminSocketPath } = options;
  await mkdir(dirname(statePath), { recursive: true });
  const upstreams = new UpstreamRegistry(logger);
  const services = new ServiceRoutes(upstreams, statePath, logger);
  await services.restore();

  const httpServer = createServer(createTrafficHandler(services, logger));
  const tunnels = new UpgradeTunnels(services, logger);
  httpServer.on('upgrade', tunnels.handle);
  await listen(httpServer, () =>
    httpServer.listen(options.httpPort, options.httpHost ?? '0.0.0.0'),
  );
  const adminServer = createAdminServer({ services, upstreams, logger });
  try {
    await claimSocketPath(adminSocketPath);
    await listen(adminServer, () => adminServer.listen(adminSocketPath));
    // Filesystem permissions are the admin API's only access control, as with kamal-proxy.
    await chmod(adminSocketPath, 0o660);
  } catch (error) {
    httpServer.close();
    throw error;
  }

  const address = httpServer.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    httpAddress: { host: address.address, port: address.port },
    close: () => {
      closing ??= shutDown();
      return closing;
    },
  };

  async function shutDown(): Promise<void> {
    const httpClosed = closed(httpServer);
    const adminClosed = closed(adminServer);
    adminServer.closeAllConnections();
    const timeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
    if (!(await upstreams.whenIdle(timeoutMs))) {
      logger.warn({ remaining: upstreams.inFlight }, 'shutdown cut in-flight requests');
    }
    httpServer.closeAllConnections();
    tunnels.destroyAll();
    await upstreams.destroyAll();
    await Promise.all([httpClosed, adminClosed]);
    await rm(adminSocketPath, { force: true });
  }
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

function listen(server: Server, start: () => void): Promise<void> {
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
function closed(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
