import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from 'undici';
import { createPullFleet, type PullFleet } from '../helpers/pull-fleet.ts';
import { TestHost } from '../helpers/test-fleet.ts';
import { runAgentCli } from '../../agent/commands/agent-cli.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { getText } from '../helpers/load.ts';
import { docker } from '../helpers/docker-cli.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';

const service = 'pulled';
const secretValue = `s3cr3t-${Math.random().toString(36).slice(2)}`;

async function deploy(
  fleet: PullFleet,
  version: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return fleet.app.berth('deploy', '--version', version, '--timeout', '60');
}

describe('pull mode: one controller, three agents that dial out', () => {
  const images = inject('demoImages');
  let fleet: PullFleet;

  beforeAll(async () => {
    fleet = await createPullFleet({ service, hosts: 3 });
    fleet.app.env.API_TOKEN = secretValue;
    await fleet.app.writeConfig({
      ...demoConfig({
        service,
        repository: images.v1.repository,
        hosts: fleet.hosts.map((h) => h.name),
      }),
      env: { clear: { MODE: 'pull' }, secret: ['API_TOKEN'] },
      controller: { url: fleet.controller.url, fingerprint: fleet.controller.fingerprint },
    });
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('deploys v1 to all three, streaming each host, and each serves it through its own proxy', async () => {
    const result = await deploy(fleet, 'v1');
    expect(result.code, result.stderr).toBe(0);
    for (const host of fleet.hosts) {
      expect(result.stdout).toMatch(new RegExp(`\\[${host.name}\\] done\\s+v1 is live`));
      expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
    }
    expect(result.stdout).toMatch(/pulled v1 is live on 3 host\(s\)/);
  });

  it('shows the fleet in `berth status`: all online, fresh, on v1', async () => {
    const result = await fleet.app.berth('status', '--json');
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as {
      mode: string;
      hosts: {
        host: string;
        online: boolean;
        fresh: boolean;
        roles: { version: string; state: string }[];
      }[];
    };
    expect(status.mode).toBe('controller');
    expect(
      status.hosts.map((h) => [h.host, h.online, h.fresh, h.roles[0]?.version, h.roles[0]?.state]),
    ).toEqual([
      ['web-1', true, true, 'v1', 'live'],
      ['web-2', true, true, 'v1', 'live'],
      ['web-3', true, true, 'v1', 'live'],
    ]);
    const table = await fleet.app.berth('status');
    expect(table.stdout).toMatch(
      /^HOST\s+AGENT\s+LAST SEEN\s+ROLE\s+VERSION\s+STATE\s+HEALTH\s+SINCE$/m,
    );
    expect(table.stdout).toMatch(
      /^web-2\s+online\s+fresh \(\d+s ago\)\s+web\s+v1\s+live\s+running/m,
    );
  });

  it('renders the same table on the dashboard after logging in with an operator token', async () => {
    const tokenResult = await fleet.app.berth('controller', 'login-token');
    expect(tokenResult.code, tokenResult.stderr).toBe(0);
    const token = tokenResult.stdout.trim().split('\n').at(-1)?.trim() ?? '';
    const dispatcher = pinnedAgent(fleet.controller.fingerprint);
    try {
      const anonymous = await request(`${fleet.controller.url}/`, { dispatcher });
      await anonymous.body.dump();
      expect(anonymous.statusCode).toBe(302);
      const login = await request(`${fleet.controller.url}/login`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });
      await login.body.dump();
      const cookie = String(login.headers['set-cookie'] ?? '').split(';')[0] ?? '';
      expect(cookie).toMatch(/=/);
      const page = await request(`${fleet.controller.url}/`, { dispatcher, headers: { cookie } });
      const html = await page.body.text();
      expect(page.statusCode).toBe(200);
      for (const host of ['web-1', 'web-2', 'web-3']) {
        expect(html).toMatch(
          new RegExp(`<tr[^>]*>(?:(?!</tr>).)*${host}(?:(?!</tr>).)*v1(?:(?!</tr>).)*</tr>`, 's'),
        );
      }
    } finally {
      await dispatcher.close();
    }
  });

  it('hands the sealed secret to the containers and never holds it in clear', async () => {
    const envs = await docker([
      'ps',
      '--filter',
      `label=berth.service=${service}`,
      '--format',
      '{{.ID}}',
    ]);
    for (const id of envs.trim().split('\n')) {
      expect(
        await docker(['inspect', '--format', '{{range .Config.Env}}{{println .}}{{end}}', id]),
      ).toContain(`API_TOKEN=${secretValue}`);
    }
    for (const file of await readdir(fleet.controller.dataDir, { recursive: true })) {
      const bytes = await readFile(join(fleet.controller.dataDir, file)).catch(() =>
        Buffer.alloc(0),
      );
      expect(bytes.includes(secretValue), `controller file ${file}`).toBe(false);
    }
    expect(await fleet.controller.log()).not.toContain(secretValue);
    const releases = await fleet.app.berth('releases', '--json');
    expect(releases.stdout).not.toContain(secretValue);
  });

  it('an agent offline across three releases applies only the latest when it returns', async () => {
    const [, , offline] = fleet.hosts;
    if (!offline) throw new Error('no third host');
    await offline.stop('SIGTERM');
    await waitFor('the controller to see web-3 offline', async () => {
      const status = JSON.parse((await fleet.app.berth('status', '--json')).stdout) as {
        hosts: { host: string; online: boolean }[];
      };
      return status.hosts.find((h) => h.host === 'web-3')?.online === false ? true : undefined;
    });
    for (const version of ['v2', 'v3', 'v2']) {
      const result = await deploy(fleet, version);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/\[web-3\] offline; it will apply/);
      expect(result.stderr).toMatch(/ERROR DEPLOY_FAILED: pulled .* failed on web-3/);
    }
    await offline.start();
    await waitFor('web-3 to serve the latest release', async () => {
      const answer = await getText(`${offline.proxyUrl}/version`);
      return answer.body === 'v2' ? answer : undefined;
    });
    const latestThree = async (): Promise<string[][]> => {
      const history = JSON.parse((await fleet.app.berth('releases', '--json')).stdout) as {
        releases: { version: string; hosts: Record<string, string> }[];
      };
      return history.releases.slice(0, 3).map((r) => [r.version, r.hosts['web-3'] ?? '']);
    };
    await waitFor('the controller to hear web-3 is live', async () =>
      (await latestThree())[0]?.[1] === 'live' ? true : undefined,
    );
    expect(await latestThree()).toEqual([
      ['v2', 'live'],
      ['v3', 'superseded'],
      ['v2', 'superseded'],
    ]);
  });

  it('survives a controller restart in the middle of a fleet deploy, history intact', async () => {
    const before = JSON.parse((await fleet.app.berth('releases', '--json')).stdout) as {
      releases: unknown[];
    };
    const deploying = deploy(fleet, 'v3');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await fleet.controller.stop('SIGTERM');
    await fleet.controller.start();
    const result = await deploying;
    expect(result.code, result.stderr).toBe(0);
    for (const host of fleet.hosts)
      expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v3' });
    const after = JSON.parse((await fleet.app.berth('releases', '--json')).stdout) as {
      releases: unknown[];
    };
    expect(after.releases).toHaveLength(before.releases.length + 1);
  });

  it('refuses a reused join token, leaving nothing half-installed', async () => {
    const token = await fleet.issueToken('web-9');
    const spare = (suffix: string): TestHost =>
      new TestHost('web-9', join(fleet.root, `agent-9${suffix}`), 1, 1, 'unused');
    const first = await fleet.join(spare('a'), token);
    expect(first.code, first.output).toBe(0);
    const second = await fleet.join(spare('b'), token);
    expect(second.code).not.toBe(0);
    expect(second.output).toMatch(/JOIN_TOKEN_USED/);
    const leftovers = await readdir(join(fleet.root, 'agent-9b')).catch(() => []);
    expect(leftovers).toEqual([]);
  });

  it('rolls back locally with berth-agent rollback while the controller is down', async () => {
    const host = fleet.hosts[0];
    if (!host) throw new Error('no host');
    await fleet.controller.stop('SIGTERM');
    let output = '';
    const code = await runAgentCli(['rollback', service, '--data-dir', host.dataDir], {
      out: (t) => void (output += t),
      err: (t) => void (output += t),
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/Rolling pulled back to v2/);
    expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
    for (const other of fleet.hosts.slice(1)) {
      expect(await getText(`${other.proxyUrl}/version`)).toEqual({ status: 200, body: 'v3' });
    }
    await fleet.controller.start();
  });

  it('records who did what in the audit log, and a removed host is refused from then on', async () => {
    const removed = await fleet.app.berth('hosts', 'remove', 'web-2');
    expect(removed.code, removed.stderr).toBe(0);
    const hosts = JSON.parse((await fleet.app.berth('hosts', 'list', '--json')).stdout) as {
      hosts: { name: string; state: string }[];
    };
    expect(hosts.hosts.find((h) => h.name === 'web-2')?.state).toBe('revoked');
    const web2 = fleet.hosts[1];
    await waitFor('web-2 to log that its polls are refused', async () =>
      (await web2?.log())?.includes('HOST_REVOKED') ? true : undefined,
    );
    const audit = JSON.parse((await fleet.app.berth('audit', '--json')).stdout) as {
      entries: { actor: string; action: string; detail: string }[];
    };
    const actions = audit.entries.map((e) => `${e.actor} ${e.action}`);
    expect(actions).toContain('test@berth release.publish');
    expect(actions).toContain('test@berth host.add');
    expect(actions).toContain('test@berth host.remove');
    expect(actions.some((a) => a.endsWith('host.join'))).toBe(true);
  });
});
