import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import {
  agentConfigPath,
  defaultDataDir,
  loadAgentConfig,
} from '../../shared/config/agent-config.ts';
import { createLogger } from '../../shared/logger.ts';
import { verifyOperatorToken } from '../../shared/auth/operator-token.ts';
import { formatPublicKey, parsePublicKeys, readKeyFile } from '../../shared/keys/index.ts';
import { verifyControl } from '../../shared/manifest/control-policy.ts';
import { verifyRelease } from '../../shared/manifest/release-policy.ts';
import { openSecrets } from '../../shared/secrets/seal.ts';
import { AgentStore } from '../state/agent-store.ts';
import { DockerodeEngine } from '../docker/dockerode-engine.ts';
import { ProxyClient } from '../proxy/proxy-client.ts';
import { ServiceLocks } from '../deployer/service-locks.ts';
import { Deployer } from '../deployer/deployer.ts';
import { Reconciler } from '../reconciler/reconciler.ts';
import { buildServer } from '../http/server.ts';
import type { HttpDeps } from '../http/http-deps.ts';
import { describeHost } from '../http/host-status.ts';
import { changeServiceControls } from '../http/service-control-changes.ts';
import { buildLocalServer, listenOnSocket, LOCAL_SOCKET_FILE_NAME } from '../http/local-server.ts';
import { startPullMode } from '../puller/pull-mode.ts';
import { ensureProxyRunning } from './ensure-proxy.ts';
import type { AgentCommand } from './agent-cli.ts';
import { join } from 'node:path';

const usage = `Usage: berth-agent run [--data-dir DIR] [--no-proxy]

Runs the agent: HTTPS API, deployer and reconciler. Starts the proxy too unless it is
already running (systemd's berth-proxy.service) or --no-proxy is given.`;

export const AGENT_VERSION = '0.1.0';

export const runCommand: AgentCommand = {
  name: 'run',
  summary: 'run the agent (API, deployer, reconciler)',
  usage,
  async run(argv, _context) {
    const { values } = parseOptions(
      argv,
      {
        'data-dir': { type: 'string', default: process.env.BERTH_DATA_DIR ?? defaultDataDir() },
        'no-proxy': { type: 'boolean', default: false },
      },
      'berth-agent run',
    );
    const config = await loadAgentConfig(agentConfigPath(values['data-dir']));
    const logger = createLogger({ name: `berth-agent ${config.name}` });
    const store = new AgentStore(join(config.dataDir, 'agent.sqlite'));
    const signingKey = await readKeyFile(config.identity.signingKeyPath, 'Ed25519');
    const encryptionKey = await readKeyFile(config.identity.encryptionKeyPath, 'X25519');
    const releaseKeys = parsePublicKeys(config.trust.releaseKeys, 'Ed25519');
    const operatorKeys = parsePublicKeys(config.trust.operatorKeys, 'Ed25519');

    if (!values['no-proxy']) await ensureProxyRunning(config, logger);
    const engine = new DockerodeEngine({
      socketPath: config.docker.socketPath,
      scope: { 'berth.agent': config.name },
    });
    await engine.ping();
    const proxy = new ProxyClient(config.proxy.socketPath);
    const locks = new ServiceLocks();
    const deps = {
      hostName: config.name,
      fleet: config.fleet,
      network: config.docker.network,
      store,
      engine,
      proxy,
      locks,
      logger,
      openSecrets: (sealed: string) => openSecrets(sealed, encryptionKey),
      sleep: (ms: number) => sleep(ms),
      now: () => new Date(),
      crashAfterStep: process.env.BERTH_FAULT_CRASH_AFTER_STEP,
    };
    const deployer = new Deployer(deps);
    const reconciler = new Reconciler(deps, { intervalMs: config.reconcileIntervalMs });

    await deployer.resumeUnfinished();
    // One check for every way a release arrives: pushed to the API, polled, or fetched from a URL.
    const verifyIncoming = (jws: string) =>
      verifyRelease(jws, {
        trustedKeys: releaseKeys,
        fleet: config.fleet,
        hostName: config.name,
        lastAppliedSequence: (service: string) => store.service(service)?.highestSequence ?? null,
        now: new Date(),
      });
    const httpDeps: HttpDeps = {
      ...deps,
      agentVersion: AGENT_VERSION,
      identity: {
        signingPublicKey: formatPublicKey(signingKey.publicJwk),
        encryptionPublicKey: formatPublicKey(encryptionKey.publicJwk),
      },
      deployer,
      proxyControls: proxy,
      verifyRelease: verifyIncoming,
      verifyOperator: (token: string | undefined) =>
        verifyOperatorToken(token, {
          trustedKeys: operatorKeys,
          audience: config.name,
          now: new Date(),
        }),
    };
    const app = buildServer(httpDeps, {
      https: {
        key: await readFile(config.tls.keyPath, 'utf8'),
        cert: await readFile(config.tls.certPath, 'utf8'),
      },
    });
    await app.listen({ host: config.api.host, port: config.api.port });
    const localApp = buildLocalServer(httpDeps);
    await listenOnSocket(localApp, join(config.dataDir, LOCAL_SOCKET_FILE_NAME));
    reconciler.start();
    const pullMode = await startPullMode({
      config,
      store,
      deployer,
      signingKey,
      verifyRelease: verifyIncoming,
      // Signed by the same release keys, checked like a release (fleet, target, sequence, expiry).
      verifyControl: (jws: string) =>
        verifyControl(jws, {
          trustedKeys: releaseKeys,
          fleet: config.fleet,
          hostName: config.name,
          lastAppliedSequence: (service: string) => store.controls.lastSequence(service),
          now: new Date(),
        }),
      applyControl: (service, action) => changeServiceControls(httpDeps, service, action),
      describeHost: () => describeHost(httpDeps),
      logger,
    });
    logger.info(
      { url: `https://${config.api.host}:${config.api.port}`, fleet: config.fleet },
      'agent ready',
    );

    await new Promise<void>((resolve) => {
      const stop = (): void => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    logger.info('stopping: no new work; finishing the current step');
    await pullMode?.stop();
    await app.close();
    await localApp.close();
    await reconciler.stop();
    await deployer.settled();
    store.close();
    return 0;
  },
};
