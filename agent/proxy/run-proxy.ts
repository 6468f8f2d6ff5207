import { parseArgs } from 'node:util';
import { BerthError } from '../../shared/errors.ts';
import { createLogger } from '../../shared/logger.ts';
import { startProxy } from './proxy-process.ts';

const defaultHttpPort = 80;
const defaultHttpHost = '0.0.0.0';

export interface ProxyArguments {
  httpPort: number;
  httpHost: string;
  adminSocketPath: string;
  statePath: string;
}

/**
 * `berth-agent proxy --socket PATH --state PATH [--http-port N] [--http-host H]`: runs until
 * SIGTERM or SIGINT, then stops accepting, lets in-flight requests finish (up to 10 s) and
 * resolves, so the caller can exit 0.
 */
export async function runProxyCommand(argv: string[]): Promise<void> {
  const args = parseProxyArguments(argv);
  const logger = createLogger({ name: 'berth-proxy' });
  const proxy = await startProxy({ ...args, logger });
  logger.info(
    {
      httpAddress: proxy.httpAddress,
      adminSocketPath: args.adminSocketPath,
      statePath: args.statePath,
    },
    'proxy ready',
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (name: NodeJS.Signals): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(name);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  logger.info({ signal }, 'proxy stopping');
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
        socket: { type: 'string' },
        state: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new BerthError('USAGE', error instanceof Error ? error.message : String(error));
  }
  const httpPort = Number(values['http-port'] ?? defaultHttpPort);
  if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) {
    throw new BerthError(
      'USAGE',
      `--http-port must be a port number, got "${values['http-port']}"`,
    );
  }
  if (values.socket === undefined || values.state === undefined) {
    throw new BerthError('USAGE', 'berth-agent proxy needs --socket PATH and --state PATH');
  }
  return {
    httpPort,
    httpHost: values['http-host'] ?? defaultHttpHost,
    adminSocketPath: values.socket,
    statePath: values.state,
  };
}
