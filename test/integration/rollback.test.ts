import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText } from '../helpers/load.ts';

const service = 'rollback';

describe('berth rollback', () => {
  const s = fleetSuite(service, { deploy: ['v1', 'v2'] });

  it('returns to the previous release without pulling, as a new signed release', async () => {
    const result = await s.app.berth('rollback');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Rolling rollback back to v1/);
    expect(result.stdout).toMatch(/image already present; skipping pull/);
    expect(result.stdout).not.toMatch(/pulled \d/);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
    const releases = JSON.parse((await s.app.berth('releases', '--json')).stdout) as {
      releases: {
        sequence: number;
        version: string;
        rollbackOf: number | null;
        hosts: Record<string, string>;
      }[];
    };
    expect(releases.releases).toHaveLength(3);
    expect(releases.releases[0]).toMatchObject({ version: 'v1', hosts: { 'web-1': 'live' } });
    expect(releases.releases[0]?.rollbackOf).toBe(releases.releases[2]?.sequence);
  });

  it('rolls forward to a named version', async () => {
    const result = await s.app.berth('rollback', 'v2');
    expect(result.code, result.stderr).toBe(0);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
  });

  it('refuses a version that never went live, changing nothing', async () => {
    const result = await s.app.berth('rollback', 'v9');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR NOT_FOUND: no release of version v9 ever went live/);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
  });
});
