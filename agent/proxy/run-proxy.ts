import { trafficFlagOptions, trafficSettingsFrom, type TrafficSettings } from './traffic-flags.ts';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { replicaNumber } from './replica-link.ts';
import { withAgentConfigFlags } from './agent-config-flags.ts';
import { BerthError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { startProxy } from './proxy-process.ts';
import { letsEncryptDirectoryUrl } from './tls/acme-issuer.ts';
import { defaultRenewBeforeDays } from './tls/acme-maintainer.ts';
import type { HttpsOptions } from './tls/tls-setup.ts';

const defaultHttpPort = 80;
const defaultHttpHost = '0.0.0.0';

export interface ProxyArguments {
  httpPort: number;
  httpHost: string;
  adminSocketPath: string;
  statePath: string;
  /** Absent without `--https-port` (or with 0): no HTTPS listener, no ACME. */
  https?: HttpsOptions;
  /** Client timeouts, access log, metrics listener. */
  traffic: TrafficSettings;
  /** Processes accepting on the same sockets (`--workers`, default `defaultWorkers()`). */
  workers: number;
}

/**
 * `berth-agent proxy --socket PATH --state PATH [--http-port N] [--http-host H]
 * [--https-port N [--https-host H] [--acme-directory URL] [--acme-email E] [--acme-ca-file P]
 * [--acme-renew-before-days D]] [--headers-timeout-ms N] [--request-timeout-ms N]
 * [--keep-alive-timeout-ms N] [--access-log] [--metrics-port N [--metrics-host H]]
 * [--workers N] [--agent-config PATH]`: runs until
 * SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (up to 10 s) and
 * resolves, so the caller can exit 0. On SIGUSR2 it hands its sockets to a new copy of itself
 * and resolves once its own clients are gone.
 */
export async function runProxyCommand(argv: string[]): Promise<void> {
  const args = parseProxyArguments(await withAgentConfigFlags(argv));
  const logger = createLogger({ name: 'berth-proxy' });
  const replica = replicaNumber();
  const proxy = await startProxy({ ...args, logger });
  logger.info(
    {
      httpAddress: proxy.httpAddress,
      httpsAddress: proxy.httpsAddress,
      adminSocketPath: args.adminSocketPath,
      statePath: args.statePath,
    },
    replica === undefined ? 'proxy ready' : `proxy replica ${replica} ready`,
  );
  let isStopping = false;
  const stopReason = await new Promise<string>((resolve) => {
    const stop = (reason: string): void => {
      isStopping = true;
      process.off('SIGUSR2', onRestart);
      resolve(reason);
    };
    // The handlers stay: under systemd (KillMode=control-group) a replica gets SIGTERM from
    // systemd and again from its primary, and the second must not cut its drain short.
    const onSignal = (name: NodeJS.Signals): void => {
      if (!isStopping) return stop(name);
      if (name === 'SIGINT') process.exit(130);
      logger.info({ signal: name }, 'already stopping; letting clients finish');
    };
    // SIGUSR2, as nginx's binary upgrade: a fresh process (the binary now on disk) takes over.
    const onRestart = (): void => {
      logger.info('handing the listening sockets to a new proxy process');
      proxy.handOver().then(
        (successorPid) => stop(`handed over to pid ${successorPid}`),
        (error: unknown) =>
          logger.error({ err: error }, 'restart failed; this process keeps serving'),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // A replica is restarted by its primary; SIGUSR2 there is ignored, not fatal.
    process.on('SIGUSR2', replica === undefined ? onRestart : () => {});
  });
  logger.info({ reason: stopReason }, 'proxy stopping');
  await proxy.close();
  logger.info('proxy stopped');
}

export function parseProxyArguments(argv: string[]): ProxyArguments {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'http-port': { type: 'string' },
        'http-host': { type: 'string' },
        'https-port': { type: 'string' },
        'https-host': { type: 'string' },
        'acme-directory': { type: 'string' },
        'acme-email': { type: 'string' },
        'acme-ca-file': { type: 'string' },
        'acme-renew-before-days': { type: 'string' },
        socket: { type: 'string' },
        state: { type: 'string' },
        workers: { type: 'string' },
        ...trafficFlagOptions,
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BerthError('USAGE', error instanceof Error ? error.message : String(error));
  }
  const httpPort = portIn('--http-port', values['http-port'], defaultHttpPort);
  if (values.socket === undefined || values.state === undefined) {
    throw new BerthError('USAGE', 'berth-agent proxy needs --socket PATH and --state PATH');
  }
  const httpHost = values['http-host'] ?? defaultHttpHost;
  const httpsPort = portIn('--https-port', values['https-port'], 0);
  const acmeFlags = Object.keys(values).filter((name) => name.startsWith('acme-'));
  if (httpsPort === 0 && (acmeFlags.length > 0 || values['https-host'] !== undefined)) {
    const flags = [...acmeFlags, ...(values['https-host'] === undefined ? [] : ['https-host'])];
    throw new BerthError('USAGE', `--${flags.join(', --')} need --https-port`);
  }
  return {
    httpPort,
    httpHost,
    adminSocketPath: values.socket,
    statePath: values.state,
    traffic: trafficSettingsFrom(values),
    workers: workersIn(values.workers),
    ...(httpsPort === 0
      ? {}
      : {
          https: {
            port: httpsPort,
            host: values['https-host'] ?? httpHost,
            acme: {
              directoryUrl: acmeDirectoryIn(values['acme-directory']),
              email: values['acme-email'],
              caFilePath: values['acme-ca-file'],
              renewBeforeDays: renewBeforeDaysIn(values['acme-renew-before-days']),
            },
          },
        }),
  };
}

function portIn(flag: string, value: string | undefined, fallback: number): number {
  const port = Number(value ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BerthError('USAGE', `${flag} must be a port number, got "${value}"`);
  }
  return port;
}

/**
 * One process per CPU but one: the proxy shares its server with the apps it fronts, and on a
 * 2-core server a second process made the slowest 1 % of requests slower and added no
 * throughput (BENCHMARKS.md, docs/proxy.md).
 */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

function workersIn(value: string | undefined): number {
  if (value === undefined) return defaultWorkers();
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new BerthError('USAGE', `--workers must be a whole number from 1 to 64, got "${value}"`);
  }
  return workers;
}

function acmeDirectoryIn(value: string | undefined): string {
  if (value === undefined) return letsEncryptDirectoryUrl;
  if (!URL.canParse(value) || new URL(value).protocol !== 'https:') {
    throw new BerthError('USAGE', `--acme-directory must be an https:// URL, got "${value}"`);
  }
  return value;
}

function renewBeforeDaysIn(value: string | undefined): number {
  const days = Number(value ?? defaultRenewBeforeDays);
  if (!Number.isFinite(days) || days <= 0) {
    throw new BerthError(
      'USAGE',
      `--acme-renew-before-days must be a positive number, got "${value}"`,
    );
  }
  return days;
}
