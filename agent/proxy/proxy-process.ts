import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Server as NetServer } from 'node:net';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { BerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { createAdminServer } from './admin-server.ts';
import { httpFrontHandler, httpFrontUpgrade } from './tls/http-front.ts';
import { createHttpsListener, type HttpsListener } from './tls/https-listener.ts';
import { setUpTls, type HttpsOptions } from './tls/tls-setup.ts';
import { TlsServiceRoutes } from './tls/tls-service-routes.ts';
import { createTrafficHandler } from './traffic-handler.ts';
import { AccessLog } from './access-log.ts';
import { applyClientLimits } from './client-limits.ts';
import { createMetricsServer } from './metrics-endpoint.ts';
import type { TrafficSettings } from './traffic-flags.ts';
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
  /** The HTTPS listener and ACME; absent: plain HTTP only. */
  https?: HttpsOptions;
  /** Client timeouts, access log and metrics listener; defaults when absent. */
  traffic?: TrafficSettings;
}

export interface RunningProxy {
  httpAddress: { host: string; port: number };
  /** Present when HTTPS is on. */
  httpsAddress?: { host: string; port: number };
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then exits. */
  close(): Promise<void>;
}

/** Starts the proxy: restores the routing table, then serves app traffic and the admin socket. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger, statePath, adminSocketPath } = options;
  await mkdir(dirname(statePath), { recursive: true });
  const upstreams = new UpstreamRegistry(logger);
  const { tls, challenges } = await setUpTls(dirname(statePath), options.https, logger);
  const services = new TlsServiceRoutes(upstreams, statePath, tls, logger);
  await services.restore();

  const traffic = createTrafficHandler(services, logger, {
    accessLog: options.traffic?.accessLog === true ? new AccessLog(process.stdout) : undefined,
  });
  const tunnels = new UpgradeTunnels(services, logger);
  const httpServer = createServer(httpFrontHandler(traffic, challenges, tls));
  applyClientLimits(httpServer, options.traffic?.clientLimits);
  httpServer.on('upgrade', httpFrontUpgrade(tunnels.handle, tls));
  const httpHost = options.httpHost ?? '0.0.0.0';
  const passed = passedSockets();
  await listen(httpServer, () =>
    passed.http === undefined
      ? httpServer.listen(options.httpPort, httpHost)
      : httpServer.listen({ fd: passed.http }),
  );
  let https: HttpsListener | undefined;
  let metricsServer: Server | undefined;
  const adminServer = createAdminServer({
    services,
    upstreams,
    logger,
    certificates: () => tls.certificates(),
  });
  try {
    if (options.https !== undefined) {
      const { port, host = httpHost } = options.https;
      const listener = createHttpsListener(tls, traffic, tunnels.handle, logger);
      applyClientLimits(listener.server, options.traffic?.clientLimits);
      await listen(listener.server, () =>
        passed.https === undefined
          ? listener.server.listen(port, host)
          : listener.server.listen({ fd: passed.https }),
      );
      https = listener;
      tls.enableHttps((listener.server.address() as AddressInfo).port);
    }
    const metricsPort = options.traffic?.metricsPort ?? 0;
    if (metricsPort !== 0) {
      const server = createMetricsServer(services.metrics);
      await listen(server, () =>
        server.listen(metricsPort, options.traffic?.metricsHost ?? '127.0.0.1'),
      );
      metricsServer = server;
    }
    await claimSocketPath(adminSocketPath);
    await listen(adminServer, () => adminServer.listen(adminSocketPath));
    // Filesystem permissions are the admin API's only access control, as with kamal-proxy.
    await chmod(adminSocketPath, 0o660);
  } catch (error) {
    httpServer.close();
    https?.server.close();
    metricsServer?.close();
    await tls.stop();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return {
    httpAddress: addressOf(httpServer),
    ...(https === undefined ? {} : { httpsAddress: addressOf(https.server) }),
    close: () => {
      closing ??= shutDown();
      return closing;
    },
  };

  async function shutDown(): Promise<void> {
    const httpClosed = closed(httpServer);
    const httpsClosed = https?.close();
    const adminClosed = closed(adminServer);
    const metricsClosed = metricsServer ? closed(metricsServer) : undefined;
    adminServer.closeAllConnections();
    metricsServer?.closeAllConnections();
    https?.closeSessions();
    await tls.stop();
    const timeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
    if (!(await upstreams.whenIdle(timeoutMs))) {
      logger.warn({ remaining: upstreams.inFlight }, 'shutdown cut in-flight requests');
    }
    httpServer.closeAllConnections();
    https?.destroyAll();
    tunnels.destroyAll();
    await upstreams.destroyAll();
    await Promise.all([httpClosed, httpsClosed, adminClosed, metricsClosed]);
    await rm(adminSocketPath, { force: true });
  }
}

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

function addressOf(server: NetServer): { host: string; port: number } {
  const address = server.address() as AddressInfo;
  return { host: address.address, port: address.port };
}

function listen(server: NetServer, start: () => void): Promise<void> {
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
