import { loadAgentConfig } from '../../shared/config/agent-config.ts';
import { BerthError } from '../../shared/errors.ts';

/**
 * `--agent-config PATH` (what berth-proxy.service passes): the settings the operator keeps in
 * the agent's config become flags, unless a flag already says otherwise: `proxy.accessLog` as
 * `--access-log`, `proxy.workers` as `--workers`, and `proxy.acme` as `--acme-*` (left out
 * without HTTPS, where they would be refused).
 */
export async function withAgentConfigFlags(argv: string[]): Promise<string[]> {
  const index = argv.indexOf('--agent-config');
  if (index === -1) return argv;
  const path = argv[index + 1];
  if (path === undefined || path.startsWith('--')) {
    throw new BerthError('USAGE', '--agent-config needs the path of the agent config file');
  }
  const rest = [...argv.slice(0, index), ...argv.slice(index + 2)];
  const { acme, workers, accessLog } = (await loadAgentConfig(path)).proxy;
  const unlessGiven = (flag: string, value: string | number | undefined): string[] =>
    value === undefined || rest.includes(flag) ? [] : [flag, String(value)];
  const withWorkers = [
    ...rest,
    ...(accessLog && !rest.includes('--access-log') ? ['--access-log'] : []),
    ...unlessGiven('--workers', workers),
  ];
  const httpsPort = rest[rest.indexOf('--https-port') + 1];
  if (!rest.includes('--https-port') || httpsPort === '0') return withWorkers;
  return [
    ...withWorkers,
    ...unlessGiven('--acme-directory', acme.directoryUrl),
    ...unlessGiven('--acme-email', acme.email),
    ...unlessGiven('--acme-ca-file', acme.caFilePath),
  ];
}
