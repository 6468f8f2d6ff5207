import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFleet, type TestApp, type TestHost } from '../helpers/test-fleet.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { docker } from '../helpers/docker-cli.ts';

const service = 'withjob';

async function containers(): Promise<string[]> {
  const out = await docker([
    'ps',
    '--filter',
    `label=berth.service=${service}`,
    '--format',
    '{{.Label "berth.role"}} {{.Label "berth.version"}} {{.Command}}',
  ]);
  return out.trim().split('\n').sort();
}

describe('a role without a proxy (a job runner with its own cmd)', () => {
  const images = inject('demoImages');
  let fleet: Awaited<ReturnType<typeof createFleet>>;
  let app: TestApp;
  let host: TestHost;

  beforeAll(async () => {
    fleet = await createFleet({ service });
    app = fleet.app;
    host = fleet.hosts[0] as TestHost;
    const config = demoConfig({ service, repository: images.v1.repository, hosts: [host.name] });
    await app.writeConfig({
      ...config,
      servers: {
        web: [host.name],
        jobs: { hosts: [host.name], cmd: '/usr/bin/node /app/server.js', env: { PORT: '3100' } },
      },
    });
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('starts with its own command and is replaced on the next deploy, old one stopped', async () => {
    const first = await app.berth('deploy', '--version', 'v1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/\[web-1\] checking\s+jobs\s+withjob-jobs-v1-\d+ is healthy/);
    expect(await containers()).toEqual([
      'jobs v1 "/usr/bin/node /app/…"',
      expect.stringMatching(/^web v1 /),
    ]);
    const second = await app.berth('deploy', '--version', 'v2');
    expect(second.code, second.stderr).toBe(0);
    expect(await containers()).toEqual([
      'jobs v2 "/usr/bin/node /app/…"',
      expect.stringMatching(/^web v2 /),
    ]);
  });
});
