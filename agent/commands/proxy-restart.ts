import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import {
  agentConfigPath,
  defaultDataDir,
  loadAgentConfig,
} from '../../shared/config/agent-config.ts';
import { BerthError } from '../../shared/errors.ts';
import { ProxyClient } from '../proxy/proxy-client.ts';
import type { AgentCommand } from './agent-cli.ts';

/** A handover waits for admin commands in flight (a drain can take its drain timeout). */
const restartTimeoutMs = 60_000;

const usage = `Usage: berth-agent proxy-restart [--data-dir DIR]

Restarts the proxy that \`berth-agent run\` started, without dropping a request: the running
proxy hands its listening sockets to a fresh process (picking up an upgraded binary), which
loads the routing table and serves; the old one finishes its requests and exits. Same as
sending the proxy SIGUSR2. Under systemd, use \`systemctl restart berth-proxy\` instead
(berth-proxy.socket holds new connections while it restarts).`;

export const proxyRestartCommand: AgentCommand = {
  name: 'proxy-restart',
  summary: 'restart the proxy without dropping a request (local runs)',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      { 'data-dir': { type: 'string', default: process.env.BERTH_DATA_DIR ?? defaultDataDir() } },
      'berth-agent proxy-restart',
    );
    const config = await loadAgentConfig(agentConfigPath(values['data-dir']));
    const client = new ProxyClient(config.proxy.socketPath);
    try {
      const { pid: before } = await client.health();
      process.kill(before, 'SIGUSR2');
      for (const deadline = Date.now() + restartTimeoutMs; Date.now() < deadline;) {
        await sleep(200);
        const { pid } = await client.health();
        if (pid !== before) {
          context.output.out(`proxy restarted: pid ${before} → ${pid}; ${before} is draining\n`);
          return 0;
        }
      }
      throw new BerthError(
        'PROXY_UNAVAILABLE',
        `the proxy (pid ${before}) did not hand over within ${restartTimeoutMs / 1000} s; it keeps serving`,
        {
          hint: `See the proxy's log (${config.dataDir}/proxy.log); under systemd run \`systemctl restart berth-proxy\`.`,
        },
      );
    } finally {
      await client.close();
    }
  },
};
