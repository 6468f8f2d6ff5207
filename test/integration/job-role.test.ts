import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
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
  const s = fleetSuite(service, {
    config: (base, [host]) => ({
      ...base,
      servers: {
        web: [host],
        jobs: { hosts: [host], cmd: '/usr/bin/node /app/server.js', env: { PORT: '3100' } },
      },
    }),
  });

  it('starts with its own command and is replaced on the next deploy, old one stopped', async () => {
    const first = await s.app.berth('deploy', '--version', 'v1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /\[web-1\] checking\s+jobs\s+withjob-jobs-v1-web-1-\d+ is healthy/,
    );
    expect(await containers()).toEqual([
      'jobs v1 "/usr/bin/node /app/…"',
      expect.stringMatching(/^web v1 /),
    ]);
    const second = await s.app.berth('deploy', '--version', 'v2');
    expect(second.code, second.stderr).toBe(0);
    expect(await containers()).toEqual([
      'jobs v2 "/usr/bin/node /app/…"',
      expect.stringMatching(/^web v2 /),
    ]);
  });
});
