import type { Server } from 'node:http';
import { mkdir, rm } from 'node:fs/promises';
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
import { createHttp1Server, Http1Front } from './front/http1-front.ts';
import { createMetricsServer } from './metrics-endpoint.ts';
import type { TrafficSettings } from './traffic-flags.ts';
import { UpgradeTunnels } from './upgrade-tunnel.ts';
import { UpstreamRegistry } from './upstream-registry.ts';
import { replicaNumber, serveReplicaLink } from './replica-link.ts';
import { ReplicaSet } from './replica-set.ts';
import { ConnectionDrainer } from './connection-drainer.ts';
import { awaitPredecessor, inheritedListeners, spawnSuccessor } from './listener-handover.ts';
import {
  addressOf,
  bindAdminSocket,
  closed,
  listen,
  listenOn,
  passedSockets,
  settlesWithin,
} from './listen-sockets.ts';

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
  /**
   * Processes serving traffic, this one included (default 1). More than one works only when
   * started as `berth-agent proxy` (replicas run its command line again): see replica-set.ts.
   */
  workers?: number;
}

export interface RunningProxy {
  httpAddress: { host: string; port: number };
  /** Present when HTTPS is on. */
  httpsAddress?: { host: string; port: number };
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then exits. */
  close(): Promise<void>;
  /**
   * Starts a fresh copy of this process on the same listening sockets and, once it serves,
   * lets go of this one's clients; `close()` then resolves when they are gone. Resolves with
   * the new process id; on failure this process keeps serving.
   */
  handOver(): Promise<number>;
}

/** Starts the proxy: restores the routing table, then serves app traffic and the admin socket. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { logger, statePath, adminSocketPath } = options;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
  const inherited = inheritedListeners();
  const replica = replicaNumber();
  const isReplica = replica !== undefined;
  // A successor loads the routing table only once its predecessor has stopped changing it.
  const predecessor =
    inherited.http === undefined || isReplica ? undefined : await awaitPredecessor();
  const systemd = passedSockets();
  await mkdir(dirname(statePath), { recursive: true });
  const upstreams = new UpstreamRegistry(logger);
  const { tls, challenges } = await setUpTls(dirname(statePath), options.https, logger, {
    isReplica,
  });
  const services = new TlsServiceRoutes(upstreams, statePath, tls, logger, {
    readOnly: isReplica,
  });
  await services.restore();
  const replicaCount = isReplica ? 0 : Math.max(0, (options.workers ?? 1) - 1);
  const replicas = replicaCount === 0 ? undefined : new ReplicaSet(replicaCount, logger);

  const traffic = createTrafficHandler(services, logger, {
    accessLog: options.traffic?.accessLog === true ? new AccessLog(process.stdout) : undefined,
  });
  const tunnels = new UpgradeTunnels(services, logger);
  const drainer = new ConnectionDrainer();
  const clientLimits = options.traffic?.clientLimits;
  const httpFront = new Http1Front(
    {
      onRequest: httpFrontHandler(traffic, challenges, tls),
      onUpgrade: httpFrontUpgrade(tunnels.handle, tls),
      onHandlerError: (error) => logger.error({ err: error }, 'request handler failed'),
    },
    clientLimits,
  );
  const httpServer = createHttp1Server(httpFront);
  drainer.track(httpServer, httpFront);
  const httpHost = options.httpHost ?? '0.0.0.0';
  await listenOn(httpServer, inherited.http ?? systemd.http, options.httpPort, httpHost);
  let https: HttpsListener | undefined;
  let metricsServer: Server | undefined;
  const adminDeps = { services, upstreams, logger, certificates: () => tls.certificates() };
  const adminServer = createAdminServer({ ...adminDeps, replicas });
  try {
    if (options.https !== undefined) {
      const { port, host = httpHost } = options.https;
      const listener = createHttpsListener(tls, traffic, tunnels.handle, logger, clientLimits);
      drainer.track(listener.server, listener.front);
      await listenOn(listener.server, inherited.https ?? systemd.https, port, host);
      https = listener;
      tls.enableHttps(addressOf(listener.server).port);
    }
    if (isReplica) {
      const link = serveReplicaLink({ ...adminDeps, challenges, store: tls.store }, () =>
        process.kill(process.pid, 'SIGTERM'),
      );
      return replicaHandle(link);
    }
    if (replicas !== undefined) {
      await replicas.start({ http: httpServer, https: https?.server });
      challenges.mirror = (token, keyAuthorization) =>
        replicas.mirrorChallenge(token, keyAuthorization);
      tls.store.onPut = () => replicas.reloadCertificates();
    }
    const metricsPort = options.traffic?.metricsPort ?? 0;
    if (metricsPort !== 0) {
      const server = createMetricsServer(() => renderMetrics());
      const metricsHost = options.traffic?.metricsHost ?? '127.0.0.1';
      await listenOn(server, inherited.metrics, metricsPort, metricsHost);
      metricsServer = server;
    }
    await (inherited.admin === undefined
      ? bindAdminSocket(adminServer, adminSocketPath)
      : listen(adminServer, () => adminServer.listen({ fd: inherited.admin })));
  } catch (error) {
    httpServer.close();
    https?.server.close();
    metricsServer?.close();
    await replicas?.stop();
    await tls.stop();
    throw error;
  }
  predecessor?.ready();

  let closing: Promise<void> | undefined;
  return {
    httpAddress: addressOf(httpServer),
    ...(https === undefined ? {} : { httpsAddress: addressOf(https.server) }),
    close: () => {
      closing ??= shutDown();
      return closing;
    },
    handOver,
  };

  async function handOver(): Promise<number> {
    if (closing !== undefined) throw new BerthError('USAGE', 'the proxy is already stopping');
    if (systemd.http !== undefined || systemd.https !== undefined) {
      throw new BerthError('USAGE', 'this proxy serves on sockets systemd holds', {
        hint: 'Restart it with `systemctl restart berth-proxy`; berth-proxy.socket keeps new connections waiting meanwhile.',
      });
    }
    const successor = spawnSuccessor({
      http: httpServer,
      ...(https === undefined ? {} : { https: https.server }),
      ...(metricsServer === undefined ? {} : { metrics: metricsServer }),
      admin: adminServer,
    });
    // Admin commands wait in the socket's backlog from here until the successor takes them.
    if (!(await settlesWithin(closed(adminServer), shutdownTimeoutMs))) {
      adminServer.closeAllConnections();
    }
    successor.go();
    let successorPid: number;
    try {
      successorPid = await successor.ready;
    } catch (error) {
      await bindAdminSocket(adminServer, adminSocketPath);
      throw error;
    }
    closing = retire();
    return successorPid;
  }

  /** Lets go of every client without failing a request (see ConnectionDrainer), then stops. */
  async function retire(): Promise<void> {
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    https?.closeSessions();
    const replicasStopped = replicas?.stop();
    if (!(await drainer.drain(shutdownTimeoutMs))) {
      logger.warn({ remaining: upstreams.inFlight }, 'shutdown cut connections still open');
    }
    await cutEverything();
    await replicasStopped;
  }

  /** The sum over this process and its replicas. */
  async function renderMetrics(): Promise<string> {
    const own = services.metrics.render();
    return replicas === undefined ? own : replicas.withReplicaMetrics(own);
  }

  /** A replica answers its primary over IPC; it has no admin socket and no handover of its own. */
  function replicaHandle(link: { detach(): void }): RunningProxy {
    let closing: Promise<void> | undefined;
    return {
      httpAddress: addressOf(httpServer),
      ...(https === undefined ? {} : { httpsAddress: addressOf(https.server) }),
      close: () => {
        closing ??= retire().finally(() => link.detach());
        return closing;
      },
      handOver: () => Promise.reject(new BerthError('USAGE', 'restart the primary proxy process')),
    };
  }

  /** SIGTERM (systemd stop or restart): as a handover, but the admin socket goes too. */
  async function shutDown(): Promise<void> {
    const adminClosed = closed(adminServer);
    adminServer.closeAllConnections();
    await retire();
    await adminClosed;
    await rm(adminSocketPath, { force: true });
  }

  async function cutEverything(): Promise<void> {
    await tls.stop();
    httpFront.destroyAll();
    https?.destroyAll();
    tunnels.destroyAll();
    await upstreams.destroyAll();
  }
}
