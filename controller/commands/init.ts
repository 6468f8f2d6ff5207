import { existsSync } from 'node:fs';
import { mkdir, writeFile, appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';

const template = (
  service: string,
): string => `# Berth deploy configuration. Reference: docs/reference/deploy-config.md
service: ${service}
image: registry.example.com/acme/${service}

# Agent names, as registered with \`berth hosts add\`.
servers:
  web:
    - web-1
  # job:
  #   hosts: [web-1]
  #   cmd: bin/jobs

proxy:
  host: ${service}.example.com
  app_port: 3000
  healthcheck:
    path: /up
    interval: 1
    timeout: 5

env:
  clear:
    LOG_LEVEL: info
  secret:
    - DATABASE_PASSWORD

# registry:
#   username: deploy
#   password: [REGISTRY_PASSWORD]

deploy_timeout: 30
drain_timeout: 30
retain_containers: 5
`;

const secretsTemplate = `# Secret values for env.secret, one NAME=value per line. Never commit this file.
# Environment variables of the same name win.
DATABASE_PASSWORD=change-me
`;

export const initCommand: BerthCommand = {
  name: 'init',
  summary: 'create config/deploy.yml and .berth/secrets in this app',
  usage:
    'Usage: berth init [--service NAME]\n\nWrites a commented config/deploy.yml and a .berth/secrets stub (git-ignored).',
  async run(argv, context) {
    const { values } = parseOptions(argv, { service: { type: 'string' } }, 'berth init');
    const configPath = join(context.cwd, 'config', 'deploy.yml');
    if (existsSync(configPath))
      throw new BerthError('USAGE', `${configPath} already exists`, {
        hint: 'edit it, or remove it first',
      });
    const service = (values.service ?? context.cwd.split('/').pop() ?? 'app')
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '-');
    await mkdir(join(context.cwd, 'config'), { recursive: true });
    await writeFile(configPath, template(service));
    await mkdir(join(context.cwd, '.berth'), { recursive: true });
    const secretsPath = join(context.cwd, '.berth', 'secrets');
    if (!existsSync(secretsPath)) await writeFile(secretsPath, secretsTemplate, { mode: 0o600 });
    const gitignore = join(context.cwd, '.gitignore');
    const ignored = existsSync(gitignore) ? await readFile(gitignore, 'utf8') : '';
    if (!ignored.split('\n').includes('.berth/secrets'))
      await appendFile(gitignore, '.berth/secrets\n');
    context.output.out(
      [
        `Created ${configPath} and .berth/secrets (git-ignored).`,
        'Next:',
        '  berth keys generate                      # release + operator keys',
        '  berth-agent init --name web-1 …          # on the server, with the printed public keys',
        '  berth hosts add web-1 --url … --fingerprint …',
        '  berth deploy --version TAG',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
