import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';

const service = 'failing';

describe('a release whose container fails its health check', () => {
  const s = fleetSuite(service, { deploy: ['v1'], deployTimeout: 4 });

  it('is reported failed with the container log lines, exits non-zero, and v1 keeps serving', async () => {
    const result = await s.app.berth('deploy', '--version', 'bad');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\[web-1\] HEALTH_CHECK_FAILED: .*\/up/);
    expect(result.stderr).toMatch(/last \d+ log lines of failing-web-bad-/);
    expect(result.stderr).toMatch(/health check failed: \/up answers 500/);
    expect(result.stderr).toMatch(
      /ERROR DEPLOY_FAILED: failing bad failed on web-1; the previous release keeps serving there/,
    );
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
  });

  it('records the deployment as failed, keeps v1 live, and stops the bad container', async () => {
    const status = JSON.parse((await s.app.berth('status', '--json')).stdout) as {
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
    const result = await s.app.berth('deploy', '--version', 'v2');
    expect(result.code, result.stderr).toBe(0);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
  });
});
