import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText, startLoad } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';

const service = 'healing';

async function runningContainers(): Promise<string[]> {
  const out = (
    await docker(['ps', '--filter', `label=berth.service=${service}`, '--format', '{{.ID}}'])
  ).trim();
  return out ? out.split('\n') : [];
}

function countRepairs(log: string): number {
  return log.split('\n').filter((line) => line.includes('"msg":"repairing"')).length;
}

describe('the agent keeps the host at its last good release', () => {
  const s = fleetSuite(service, { deploy: ['v1'] });

  it('restarts a killed app container and traffic recovers without a deploy', async () => {
    const [id] = await runningContainers();
    await docker(['kill', id ?? '']);
    await waitFor('v1 to answer again', async () => {
      const answer = await getText(`${s.host.proxyUrl}/version`);
      return answer.status === 200 && answer.body === 'v1' ? answer : undefined;
    });
    expect(await runningContainers()).toHaveLength(1);
  });

  it('recreates a removed app container and re-points the proxy at it', async () => {
    const [id] = await runningContainers();
    await docker(['rm', '-f', id ?? '']);
    const [replacement] = await waitFor('a replacement container', async () => {
      const ids = await runningContainers();
      return ids.length === 1 && ids[0] !== id ? ids : undefined;
    });
    expect(replacement).toBeDefined();
    await waitFor('v1 to answer through the proxy', async () => {
      const answer = await getText(`${s.host.proxyUrl}/version`);
      return answer.status === 200 && answer.body === 'v1' ? answer : undefined;
    });
    const releases = JSON.parse((await s.app.berth('releases', '--json')).stdout) as {
      releases: unknown[];
    };
    expect(releases.releases).toHaveLength(1);
  });

  it('loses no request when the agent restarts (SIGTERM and SIGKILL) under load, and redeploys nothing', async () => {
    const before = await runningContainers();
    const repairsBefore = countRepairs(await s.host.log());
    const load = startLoad(s.host.proxyUrl, { concurrency: 20 });
    try {
      await s.host.stop('SIGTERM');
      await s.host.start();
      await s.host.stop('SIGKILL');
      await s.host.start();
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.total).toBeGreaterThan(100);
    }
    expect(await runningContainers()).toEqual(before);
    expect(countRepairs(await s.host.log())).toBe(repairsBefore);
  });
});
