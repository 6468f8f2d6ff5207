import { describe, expect, it } from 'vitest';
import { loadDeployConfig, type DeployConfigInput } from '../../../shared/config/deploy-config.ts';
import { rejection } from '../berth-error.ts';
import { configFile } from './config-files.ts';

const minimal = { service: 'demo', image: 'registry.example.com/acme/demo', servers: ['app-1'] };

async function problemsOf(config: unknown): Promise<string> {
  const path = await configFile(config);
  const error = await rejection(loadDeployConfig(path));
  expect(error.code).toBe('CONFIG_INVALID');
  return error.message.replace(`${path} is invalid:\n`, '');
}

describe('loadDeployConfig problems', () => {
  it('names an unknown key and suggests the near miss', async () => {
    const { image, ...rest } = minimal;
    expect(await problemsOf({ ...rest, imgae: image })).toBe(
      '  image: required\n  unknown key "imgae" (did you mean "image"?)',
    );
  });

  it('suggests across snake_case and camelCase, and suggests nothing for a stranger', async () => {
    expect(await problemsOf({ ...minimal, proxy: { appPort: 3000, zebra: 1 } })).toBe(
      '  proxy: unknown key "appPort" (did you mean "app_port"?)\n  proxy: unknown key "zebra"',
    );
  });

  it('reports a wrong type with its full key path', async () => {
    expect(await problemsOf({ ...minimal, servers: { web: { hosts: ['app-1', 7] } } })).toBe(
      '  servers.web.hosts.1: expected a string, got number',
    );
  });

  it('quotes a string where an integer belongs', async () => {
    expect(await problemsOf({ ...minimal, proxy: { app_port: '80a' } })).toBe(
      '  proxy.app_port: expected an integer, got "80a"',
    );
  });

  it('requires image', async () => {
    expect(await problemsOf({ ...minimal, image: undefined })).toBe('  image: required');
  });

  it('lists every problem at once, one per line', async () => {
    const path = await configFile({
      service: 'My App',
      image: 'acme/demo:latest',
      servers: { web: 'app-1', jobs: { hosts: [], cmd: 3 } },
      env: { clear: { PORT: 3000 }, secret: 'DB_PASSWORD' },
      registry: { username: 'deploy', password: 'hunter2' },
      deploy_timeout: 0,
      retain_containers: 2.5,
      contoller: 'https://c.example.com',
    });
    const error = await rejection(loadDeployConfig(path));
    expect(error.message).toBe(
      [
        `${path} is invalid:`,
        '  service: expected lowercase letters, digits, "_" or "-", got "My App"',
        '  image: expected an image repository without tag or digest, e.g. registry.example.com/acme/demo, got "acme/demo:latest"',
        '  servers.web: expected a list or a map, got "app-1"',
        '  servers.jobs.hosts: expected at least 1 item',
        '  servers.jobs.cmd: expected a string or a list, got number',
        '  env.secret: expected a list, got "DB_PASSWORD"',
        '  registry.password: expected a list naming a secret, e.g. [REGISTRY_PASSWORD], never the password itself',
        '  deploy_timeout: expected more than 0, got 0',
        '  retain_containers: expected an integer, got 2.5',
        '  unknown key "contoller" (did you mean "controller"?)',
      ].join('\n'),
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('points at the line and column of a YAML syntax error', async () => {
    const path = await configFile('service: demo\nservers: [app-1\nimage: x\n');
    const error = await rejection(loadDeployConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(new RegExp(`^${path} is invalid:\\n  ${path}:3:1: `));
  });

  it('reports a missing file as CONFIG_NOT_FOUND and an empty one as invalid', async () => {
    expect((await rejection(loadDeployConfig('/nonexistent/deploy.yml'))).code).toBe(
      'CONFIG_NOT_FOUND',
    );
    expect(await problemsOf('# nothing yet\n')).toBe(
      '  the file is empty; expected a map of settings',
    );
  });
});

describe('loadDeployConfig forms', () => {
  it('fills defaults, normalises env, and freezes the result all the way down', async () => {
    const config = await loadDeployConfig(await configFile(minimal));
    expect(config).toEqual({
      ...minimal,
      fleet: 'default',
      servers: { web: { hosts: ['app-1'] } },
      proxy: {
        app_port: 80,
        path_prefix: '/',
        strip_path_prefix: true,
        response_timeout: 30,
        healthcheck: { path: '/up', interval: 1, timeout: 5 },
      },
      env: { clear: {}, secret: [] },
      volumes: [],
      labels: {},
      deploy_timeout: 30,
      drain_timeout: 30,
      retain_containers: 5,
      release_ttl: 3600,
    });
    expect(Object.isFrozen(config.proxy.healthcheck)).toBe(true);
    expect(Object.isFrozen(config.servers.web?.hosts)).toBe(true);
  });

  it('reads a list of servers as the web role, and a map as roles given as lists or maps', async () => {
    const config = await loadDeployConfig(
      await configFile({
        ...minimal,
        servers: {
          web: ['app-1', 'app-2'],
          jobs: { hosts: ['worker-1'], cmd: 'bin/jobs --queue default' },
        },
      }),
    );
    expect(config.servers).toEqual({
      web: { hosts: ['app-1', 'app-2'] },
      jobs: { hosts: ['worker-1'], cmd: ['bin/jobs', '--queue', 'default'] },
    });
  });

  it('takes env as a flat map of clear values (YAML numbers and booleans become strings)', async () => {
    const config = await loadDeployConfig(
      await configFile({ ...minimal, env: { PORT: 3000, DEBUG: false } }),
    );
    expect(config.env).toEqual({ clear: { PORT: '3000', DEBUG: 'false' }, secret: [] });
  });

  it('ignores x- keys, so YAML anchors (and << merges) can live in them', async () => {
    const yaml = [
      'x-hosts: &hosts [app-1, app-2]',
      'x-healthcheck: &healthcheck { path: /health, interval: 2 }',
      'x-role: &role { hosts: [worker-1], stop_timeout: 20 }',
      'service: demo',
      'image: registry.example.com/acme/demo',
      'servers:',
      '  web: *hosts',
      '  jobs: { hosts: *hosts, x-note: runs the queue }',
      '  cron: { <<: *role, cmd: bin/cron }',
      'proxy:',
      '  healthcheck: *healthcheck',
      '  x-todo: add tls',
    ].join('\n');
    const config = await loadDeployConfig(await configFile(yaml));
    expect(config.servers).toEqual({
      web: { hosts: ['app-1', 'app-2'] },
      jobs: { hosts: ['app-1', 'app-2'] },
      cron: { hosts: ['worker-1'], stop_timeout: 20, cmd: ['bin/cron'] },
    });
    expect(config.proxy.healthcheck).toEqual({ path: '/health', interval: 2, timeout: 5 });
    expect(Object.keys(config)).not.toContain('x-hosts');
  });

  it('keeps a role proxy map as written, for the merge over the root proxy', async () => {
    const input: DeployConfigInput = {
      ...minimal,
      servers: {
        api: { hosts: ['app-1'], proxy: { path_prefix: '/api', healthcheck: { path: '/api/up' } } },
      },
    };
    const config = await loadDeployConfig(await configFile(input));
    expect(config.servers.api?.proxy).toEqual({
      path_prefix: '/api',
      healthcheck: { path: '/api/up' },
    });
  });

  it('refuses both host and hosts in one proxy section', async () => {
    expect(
      await problemsOf({ ...minimal, proxy: { host: 'a.example.com', hosts: ['b.example.com'] } }),
    ).toBe('  proxy: set either host or hosts, not both');
  });
});
