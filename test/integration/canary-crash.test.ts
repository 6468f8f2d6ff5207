import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentClient } from '../../controller/client/agent-client.ts';
import { docker } from '../helpers/docker-cli.ts';
import { fleetSuite, operatorClient } from '../helpers/fleet-suite.ts';
import { versionsOfFreshClients } from '../helpers/fresh-clients.ts';
import { startLoad } from '../helpers/load.ts';
import { waitFor } from '../helpers/wait-for.ts';

const service = 'canarycrash';

async function runningVersions(): Promise<string[]> {
  const out = await docker([
    'ps',
    '--filter',
    `label=berth.service=${service}`,
    '--format',
    '{{.Label "berth.version"}}',
  ]);
  return out.trim().split('\n').filter(Boolean).sort();
}

describe('the agent killed (SIGKILL) around a canary', () => {
  const s = fleetSuite(service, { deploy: ['v1'], drainTimeout: 5 });
  let client: AgentClient;

  beforeAll(async () => {
    client = await operatorClient(s.app, s.host);
  });

  afterAll(async () => {
    await client?.close();
  });

  /** Runs `berth ARGS` on an agent that kills itself after recording `step`, then restarts it. */
  async function crashDuring(step: string, ...args: string[]): Promise<void> {
    await s.host.stop('SIGTERM');
    await s.host.start({ BERTH_FAULT_CRASH_AFTER_STEP: step });
    const result = await s.app.berth(...args);
    expect(result.code).not.toBe(0);
    expect(await s.host.waitForExit()).toBe('SIGKILL');
    await s.host.start();
  }

  async function latestStates(count: number): Promise<string[]> {
    const { releases } = await client.releases(service, count);
    return releases.map((r) => r.state).reverse();
  }

  it('parked before the proxy heard of it: after restart the canary takes its share', async () => {
    await crashDuring('canary', 'deploy', '--version', 'v2', '--canary', '30');
    await waitFor('the canary slot to be set', async () => {
      const answers = await versionsOfFreshClients(s.host.proxyUrl, 200);
      return (answers.v2 ?? 0) > 20 && (answers.v1 ?? 0) > 80 ? answers : undefined;
    });
    expect(await latestStates(2)).toEqual(['done', 'canary']);
    expect(await runningVersions()).toEqual(['v1', 'v2']);
  });

  it('a promotion killed while draining finishes after restart, without a failed request', async () => {
    const load = startLoad(s.host.proxyUrl, { concurrency: 10 });
    try {
      await crashDuring('draining', 'canary', 'promote');
      await waitFor('the promotion to finish', async () => {
        const states = await latestStates(3);
        return states.join() === 'done,done,done' ? states : undefined;
      });
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
    }
    expect(await runningVersions()).toEqual(['v2']);
    expect(await versionsOfFreshClients(s.host.proxyUrl, 100)).toEqual({ v2: 100 });
  });

  it('an abort killed before it touched the proxy finishes after restart', async () => {
    const started = await s.app.berth('deploy', '--version', 'v3', '--canary', '30');
    expect(started.code, started.stderr).toBe(0);
    await crashDuring('switching', 'canary', 'abort');
    await waitFor('the abort to finish', async () => {
      const states = await latestStates(2);
      return states.join() === 'rolled_back,done' ? states : undefined;
    });
    expect(await runningVersions()).toEqual(['v2']);
    expect(await versionsOfFreshClients(s.host.proxyUrl, 100)).toEqual({ v2: 100 });
  });
});
