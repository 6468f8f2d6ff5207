import { runProxyCommand } from '../proxy/run-proxy.ts';
import type { AgentCommand } from './agent-cli.ts';

export const proxyCommand: AgentCommand = {
  name: 'proxy',
  summary: 'run the proxy (app traffic; driven by the agent over a Unix socket)',
  usage: `Usage: berth-agent proxy --socket PATH --state PATH [--http-port N] [--http-host H]

Serves app traffic on the HTTP port and takes routing commands on the admin socket.
Normally started by systemd (berth-proxy.service) or by \`berth-agent run\`.`,
  async run(argv, _context) {
    await runProxyCommand(argv);
    return 0;
  },
};
