import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFleet, type TestApp, type TestHost } from '../helpers/test-fleet.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { getText, startLoad } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { AgentClient } from '../../controller/client/agent-client.ts';
import { loadPrivateKey } from '../../controller/keys/key-store.ts';

const service = 'crashy';
const steps = ['pulling', 'starting', 'checking', 'switching', 'draining'] as const;
const versions = ['v2', 'v3', 'v1', 'v2', 'v3'] as const;

describe('the agent killed (SIGKILL) mid-deploy', () => {
  const images = inject('demoImages');
  let fleet: Awaited<ReturnType<typeof createFleet>>;
  let app: TestApp;
  let host: TestHost;
  let client: AgentClient;

  beforeAll(async () => {
    fleet = await createFleet({ service });
    app = fleet.app;
    host = fleet.hosts[0] as TestHost;
    await app.writeConfig(
      demoConfig({
        service,
        repository: images.v1.repository,
        hosts: [host.name],
        drainTimeout: 5,
      }),
    );
    const first = await app.berth('deploy', '--version', 'v1');
    expect(first.code, first.stderr).toBe(0);
    const operator = await loadPrivateKey(app.env, 'operator');
    client = new AgentClient(
      host.name,
      { url: host.url, fingerprint: host.fingerprint },
      { ...operator, subject: 'test' },
    );
  });

  afterAll(async () => {
    await client?.close();
    await fleet?.destroy();
  });

  it.each(steps.map((step, i) => [step, versions[i] as string]))(
    'after recording "%s" ends, after restart, on exactly one serving version with the deployment done or rolled back',
    async (step, version) => {
      const load = startLoad(host.proxyUrl, { concurrency: 10 });
      try {
        await host.stop('SIGTERM');
        await host.start({ BERTH_FAULT_CRASH_AFTER_STEP: step });
        const deploy = await app.berth('deploy', '--version', version);
        expect(deploy.code).not.toBe(0);
        expect(await host.waitForExit()).toBe('SIGKILL');

        await host.start();
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
        const serving = await getText(`${host.proxyUrl}/version`);
        expect(serving).toEqual({ status: 200, body: running[0] });
        if (outcome.state === 'done') expect(serving.body).toBe(version);
      } finally {
        const report = await load.stop();
        expect(report.failures).toEqual([]);
      }
    },
  );
});
