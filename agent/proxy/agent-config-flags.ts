import { loadAgentConfig, type AgentConfig } from '../../shared/config/agent-config.ts';
import { BerthError } from '../../shared/errors.ts';

/** A flag and, unless it is a switch, its value. */
type ConfigFlag = [flag: string] | [flag: string, value: string];

/**
 * The `berth-agent proxy` flags the agent config's `proxy` section stands for:
 * `proxy.accessLog` as `--access-log`, `proxy.workers` as `--workers`, and `proxy.acme` as
 * `--acme-*` (left out without HTTPS, where they would be refused).
 */
export function proxyConfigFlags(proxy: AgentConfig['proxy'], isHttpsOn: boolean): ConfigFlag[] {
  const flags: ConfigFlag[] = [];
  const add = (flag: string, value: string | number | undefined): void => {
    if (value !== undefined) flags.push([flag, String(value)]);
  };
  if (proxy.accessLog) flags.push(['--access-log']);
  add('--workers', proxy.workers);
  if (isHttpsOn) {
    add('--acme-directory', proxy.acme.directoryUrl);
    add('--acme-email', proxy.acme.email);
    add('--acme-ca-file', proxy.acme.caFilePath);
  }
  return flags;
}

/**
 * `--agent-config PATH` (what berth-proxy.service passes): the agent config's proxy settings
 * (proxyConfigFlags) join the command line, except where a flag already says otherwise.
 */
export async function withAgentConfigFlags(argv: string[]): Promise<string[]> {
  const index = argv.indexOf('--agent-config');
  if (index === -1) return argv;
  const path = argv[index + 1];
  if (path === undefined || path.startsWith('--')) {
    throw new BerthError('USAGE', '--agent-config needs the path of the agent config file');
  }
  const rest = [...argv.slice(0, index), ...argv.slice(index + 2)];
  const isHttpsOn = rest.includes('--https-port') && rest[rest.indexOf('--https-port') + 1] !== '0';
  const flags = proxyConfigFlags((await loadAgentConfig(path)).proxy, isHttpsOn);
  return [...rest, ...flags.filter(([flag]) => !rest.includes(flag)).flat()];
}
