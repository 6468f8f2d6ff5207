import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fleetSuite, operatorClient } from '../helpers/fleet-suite.ts';
import { getText, startLoad } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { AgentClient } from '../../controller/client/agent-client.ts';

const service = 'crashy';
const steps = ['pulling', 'starting', 'checking', 'switching', 'draining'] as const;
const versions = ['v2', 'v3', 'v1', 'v2', 'v3'] as const;

describe('the agent killed (SIGKILL) mid-deploy', () => {
  const s = fleetSuite(service, { deploy: ['v1'], drainTimeout: 5 });
  let client: AgentClient;

  beforeAll(async () => {
    client = await operatorClient(s.app, s.host);
  });

  afterAll(async () => {
    await client?.close();
  });

  it.each(steps.map((step, i) => [step, versions[i] as string]))(
    'after recording "%s" ends, after restart, on exactly one serving version with the deployment done or rolled back',
    async (step, version) => {
      const load = startLoad(s.host.proxyUrl, { concurrency: 10 });
      try {
        await s.host.stop('SIGTERM');
        await s.host.start({ BERTH_FAULT_CRASH_AFTER_STEP: step });
        const deploy = await s.app.berth('deploy', '--version', version);
        expect(deploy.code).not.toBe(0);
        expect(await s.host.waitForExit()).toBe('SIGKILL');

        await s.host.start();
        const outcome = await waitFor(`the ${version} deployment to end`, async () => {
          const latest = (await client.releases(service, 1)).releases[0];
          return latest && ['done', 'failed', 'rolled_back'].includes(latest.state)
            ? latest
            : undefined;
        });
        expect(outcome.version).toBe(version);
        expect(['done', 'rolled_back']).toContain(outcome.state);

        const running = (
          await docker([
            'ps',
            '--filter',
            `label=berth.service=${service}`,
            '--format',
            '{{.Label "berth.version"}}',
          ])
        )
          .trim()
          .split('\n');
        expect(running).toHaveLength(1);
        const serving = await getText(`${s.host.proxyUrl}/version`);
        expect(serving).toEqual({ status: 200, body: running[0] });
        if (outcome.state === 'done') expect(serving.body).toBe(version);
      } finally {
        const report = await load.stop();
        expect(report.failures).toEqual([]);
      }
    },
  );
});
