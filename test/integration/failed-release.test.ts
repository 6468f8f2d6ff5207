import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFleet, type TestApp, type TestHost } from '../helpers/test-fleet.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { getText } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';

const service = 'failing';

describe('a release whose container fails its health check', () => {
  const images = inject('demoImages');
  let fleet: Awaited<ReturnType<typeof createFleet>>;
  let app: TestApp;
  let host: TestHost;

  beforeAll(async () => {
    fleet = await createFleet({ service });
    app = fleet.app;
    host = fleet.hosts[0] as TestHost;
    await app.writeConfig(
      demoConfig({
        service,
        repository: images.v1.repository,
        hosts: [host.name],
        deployTimeout: 4,
      }),
    );
    const first = await app.berth('deploy', '--version', 'v1');
    expect(first.code, first.stderr).toBe(0);
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('is reported failed with the container log lines, exits non-zero, and v1 keeps serving', async () => {
    const result = await app.berth('deploy', '--version', 'bad');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[web-1\] HEALTH_CHECK_FAILED: .*\/up/);
    expect(result.stderr).toMatch(/last \d+ log lines of failing-web-bad-/);
    expect(result.stderr).toMatch(/health check failed: \/up answers 500/);
    expect(result.stderr).toMatch(
      /ERROR DEPLOY_FAILED: failing bad failed on web-1; the previous release keeps serving there/,
    );
    expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
  });

  it('records the deployment as failed, keeps v1 live, and stops the bad container', async () => {
    const status = JSON.parse((await app.berth('status', '--json')).stdout) as {
      hosts: { roles: { version: string; state: string; health: string }[] }[];
    };
    expect(status.hosts[0]?.roles[0]).toMatchObject({
      version: 'v1',
      state: 'failed',
      health: 'running',
    });
    const running = (
      await docker(['ps', '--filter', `label=berth.service=${service}`, '--format', '{{.Names}}'])
    )
      .trim()
      .split('\n');
    expect(running).toEqual([expect.stringMatching(/^failing-web-v1-/)]);
  });

  it('goes live on the next good release', async () => {
    const result = await app.berth('deploy', '--version', 'v2');
    expect(result.code, result.stderr).toBe(0);
    expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
  });
});
