import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText, slowRequest, startLoad } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';
import { removeDemoImageRefs } from '../helpers/demo-image.ts';

const service = 'zdt';

describe('zero-downtime deploys through the proxy', () => {
  const s = fleetSuite(service);

  it('pulls v1 by digest, reports the pull, and serves v1 through the proxy', async () => {
    await removeDemoImageRefs([s.images.v1]);
    const result = await s.app.berth('deploy', '--version', 'v1');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`[web-1] pulling      pulling ${s.images.v1.pinned}`);
    expect(result.stdout).toMatch(/\[web-1\] pulling {6}image pulled/);
    expect(result.stdout).toMatch(/zdt v1 is live on 1 host/);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
  });

  it('loses no request across 5 deploys under load, each with a slow request in flight at the switch', async () => {
    const load = startLoad(s.host.proxyUrl, { concurrency: 20 });
    const sequence = ['v2', 'v3', 'v1', 'v2', 'v3'] as const;
    let previous = 'v1';
    try {
      for (const version of sequence) {
        const slow = slowRequest(s.host.proxyUrl, 2500);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const result = await s.app.berth('deploy', '--version', version);
        expect(result.code, result.stderr).toBe(0);
        expect(await slow).toEqual({ status: 200, body: previous });
        expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: version });
        previous = version;
      }
    } finally {
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect(report.failed).toBe(0);
      expect(report.total).toBeGreaterThan(500);
      expect(new Set(report.lastAnswers)).toEqual(new Set(['v3']));
    }
    const running = (
      await docker(['ps', '--filter', `label=berth.service=${service}`, '--format', '{{.Names}}'])
    )
      .trim()
      .split('\n');
    expect(running).toHaveLength(1);
    expect(running[0]).toMatch(/^zdt-web-v3-/);
  });

  it('shows each host and role with its version in `berth status`, as a table and as JSON', async () => {
    const table = await s.app.berth('status');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^HOST\s+ROLE\s+VERSION\s+STATE\s+HEALTH\s+SINCE$/m);
    expect(table.stdout).toMatch(/^web-1\s+web\s+v3\s+live\s+running\s+\d+s ago$/m);
    const json = await s.app.berth('status', '--json');
    const parsed = JSON.parse(json.stdout) as {
      hosts: { host: string; roles: { version: string; state: string }[] }[];
    };
    expect(parsed.hosts[0]?.roles[0]).toMatchObject({ version: 'v3', state: 'live' });
  });

  it('lists the release history newest first in `berth releases`', async () => {
    const result = await s.app.berth('releases', '--json');
    const parsed = JSON.parse(result.stdout) as {
      releases: { version: string; hosts: Record<string, string> }[];
    };
    expect(parsed.releases.map((r) => r.version)).toEqual(['v3', 'v2', 'v1', 'v3', 'v2', 'v1']);
    expect(parsed.releases[0]?.hosts['web-1']).toBe('live');
  });
});
