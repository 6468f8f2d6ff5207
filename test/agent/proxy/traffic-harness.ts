import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { AccessLog } from '../../../agent/proxy/access-log.ts';
import type { ClientLimits } from '../../../agent/proxy/client-limits.ts';
import { createHttp1Server, Http1Front } from '../../../agent/proxy/front/http1-front.ts';
import { ServiceRoutes } from '../../../agent/proxy/service-routes.ts';
import { createTrafficHandler } from '../../../agent/proxy/traffic-handler.ts';
import { UpgradeTunnels } from '../../../agent/proxy/upgrade-tunnel.ts';
import { UpstreamRegistry } from '../../../agent/proxy/upstream-registry.ts';
import { createLogger } from '../../../shared/logger.ts';

export interface TrafficProxy {
  /** Drive routes and controls directly (the admin API is covered by proxy-harness tests). */
  services: ServiceRoutes;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The traffic listener assembled the way the proxy process assembles it, plus the options the
 * process flags turn on (client limits, access log): for the tests of those options.
 */
export async function startTrafficProxy(
  options: { clientLimits?: ClientLimits; accessLog?: Writable; log?: Writable } = {},
): Promise<TrafficProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-traffic-'));
  const logger = createLogger(
    {
      name: 'proxy-test',
      level: options.log === undefined ? (process.env.PROXY_TEST_LOG ?? 'silent') : 'info',
    },
    options.log,
  );
  const upstreams = new UpstreamRegistry(logger);
  const services = new ServiceRoutes(upstreams, join(dir, 'routes.json'), logger);
  const accessLog = options.accessLog === undefined ? undefined : new AccessLog(options.accessLog);
  const tunnels = new UpgradeTunnels(services, logger);
  const front = new Http1Front(
    {
      onRequest: createTrafficHandler(services, logger, { accessLog }),
      onUpgrade: tunnels.handle,
      onHandlerError: (error) => logger.error({ err: error }, 'request handler failed'),
    },
    options.clientLimits,
  );
  const server = createHttp1Server(front);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    services,
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      front.destroyAll();
      tunnels.destroyAll();
      await new Promise((resolve) => server.close(resolve));
      await upstreams.destroyAll();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
