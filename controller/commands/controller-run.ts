import { publicKeyPinOfPem } from '../../shared/tls/self-signed-certificate.ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import {
  controllerConfigPath,
  defaultControllerDataDir,
  loadControllerConfig,
} from '../../shared/config/controller-config.ts';
import { createLogger } from '../../shared/logger.ts';
import type { BerthCommand } from '../cli-context.ts';
import { SessionBook } from '../server/dashboard/session-book.ts';
import { PollHub } from '../server/poll-hub.ts';
import { settingsFromConfig } from '../server/server-deps.ts';
import { buildControllerServer } from '../server/server.ts';
import { ControllerStore } from '../server/state/controller-store.ts';

const usage = `Usage: berth controller run [--data-dir DIR]

Runs the controller server: the HTTPS API agents long-poll for releases and operators
publish to, and the dashboard. Set it up first with \`berth controller init\`.`;

function untilStopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}

export const controllerRunCommand: BerthCommand = {
  name: 'controller run',
  summary: 'run the controller server (API for agents and operators, dashboard)',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      { 'data-dir': { type: 'string', default: defaultControllerDataDir(context.env) } },
      'berth controller run',
    );
    const config = await loadControllerConfig(controllerConfigPath(values['data-dir']));
    const logger = createLogger({ name: `berth-controller ${config.name}` });
    const certPem = await readFile(config.tls.certPath, 'utf8');
    const store = new ControllerStore(join(config.dataDir, 'controller.sqlite'));
    const now = (): Date => new Date();
    const app = buildControllerServer(
      {
        settings: { ...settingsFromConfig(config), publicKeyPin: publicKeyPinOfPem(certPem) },
        store,
        agentPolls: new PollHub(),
        progressPolls: new PollHub(),
        sessions: new SessionBook(now),
        logger,
        now,
      },
      {
        https: { key: await readFile(config.tls.keyPath, 'utf8'), cert: certPem },
        install: { bundlesDir: join(config.dataDir, 'bundles') },
      },
    );
    const stopped = untilStopSignal();
    const address = await app.listen({ host: config.api.host, port: config.api.port });
    logger.info(
      { address, publicUrl: config.api.publicUrl, fleet: config.fleet },
      'controller ready',
    );

    logger.info({ signal: await stopped }, 'stopping: answering held polls, finishing requests');
    await app.close();
    store.close();
    return 0;
  },
};
