import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError } from '../../shared/errors.ts';
import type { AgentConfig } from '../../shared/config/agent-config.ts';
import type { Logger } from '../../shared/logger.ts';
import { proxyConfigFlags } from '../proxy/agent-config-flags.ts';
import { ProxyClient } from '../proxy/proxy-client.ts';

const agentBin = fileURLToPath(new URL('../../bin/berth-agent.js', import.meta.url));
const PROXY_START_TIMEOUT_MS = 20_000;

/**
 * For local use without systemd: starts `berth-agent proxy` as its own session when its admin
 * socket does not answer. The proxy is detached on purpose: it outlives agent restarts, so
 * restarting the agent never drops a request.
 */
export async function ensureProxyRunning(config: AgentConfig, logger: Logger): Promise<void> {
  const client = new ProxyClient(config.proxy.socketPath);
  if (await isUp(client)) return;
  const logPath = join(config.dataDir, 'proxy.log');
  const log = openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      agentBin,
      'proxy',
      '--socket',
      config.proxy.socketPath,
      '--state',
      config.proxy.statePath,
      '--http-port',
      String(config.proxy.httpPort),
      '--http-host',
      config.proxy.httpHost,
      ...(config.proxy.httpsPort ? ['--https-port', String(config.proxy.httpsPort)] : []),
      ...proxyConfigFlags(config.proxy, Boolean(config.proxy.httpsPort)).flat(),
    ],
    { detached: true, stdio: ['ignore', log, log] },
  );
  child.unref();
  logger.info({ pid: child.pid, log: logPath }, 'started the proxy');
  const deadline = Date.now() + PROXY_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await isUp(client)) return;
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  throw new BerthError('PROXY_UNAVAILABLE', `the proxy did not start; see ${logPath}`);
}

async function isUp(client: ProxyClient): Promise<boolean> {
  try {
    await client.health();
    return true;
  } catch {
    return false;
  }
}
