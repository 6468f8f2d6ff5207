import { loadAgentConfig } from '../../shared/config/agent-config.ts';
import { BerthError } from '../../shared/errors.ts';

/**
 * `--agent-config PATH` (what berth-proxy.service passes): the ACME settings the operator keeps
 * in the agent's config (`proxy.acme`) become `--acme-*` flags, unless a flag already says
 * otherwise. Without HTTPS they are left out, as they would be refused.
 */
export async function withAgentConfigFlags(argv: string[]): Promise<string[]> {
  const index = argv.indexOf('--agent-config');
  if (index === -1) return argv;
  const path = argv[index + 1];
  if (path === undefined || path.startsWith('--')) {
    throw new BerthError('USAGE', '--agent-config needs the path of the agent config file');
  }
  const rest = [...argv.slice(0, index), ...argv.slice(index + 2)];
  const httpsPort = rest[rest.indexOf('--https-port') + 1];
  if (!rest.includes('--https-port') || httpsPort === '0') return rest;
  const { acme } = (await loadAgentConfig(path)).proxy;
  const unlessGiven = (flag: string, value: string | undefined): string[] =>
    value === undefined || rest.includes(flag) ? [] : [flag, value];
  return [
    ...rest,
    ...unlessGiven('--acme-directory', acme.directoryUrl),
    ...unlessGiven('--acme-email', acme.email),
    ...unlessGiven('--acme-ca-file', acme.caFilePath),
  ];
}
