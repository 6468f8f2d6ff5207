import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentCli } from '../../../agent/commands/agent-cli.ts';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { agentConfigPath, writeAgentConfig } from '../../../shared/config/agent-config.ts';
import { startLoad } from '../../helpers/load.ts';
import { echoOf, route, send, startUpstream, type TestUpstream, until } from './proxy-harness.ts';
import { spawnProxyProcess } from './proxy-process-harness.ts';

/** Whether `pid` has ended (gone, or a zombie nobody reaped yet). */
function hasEnded(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('proxy restart (SIGUSR2: the listening sockets handed to a new process)', () => {
  let dir: string;
  let app: TestUpstream;
  let first: ChildProcess;
  let client: ProxyClient;
  let url: string;
  const failSuccessorMarker = (): string => join(dir, 'fail-successor');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-proxy-restart-'));
    app = await startUpstream('app');
    // The agent's default proxy socket is DATA_DIR/proxy.sock: `proxy-restart` finds it there.
    await writeAgentConfig(agentConfigPath(dir), { name: 'app-1', fleet: 'test', dataDir: dir });
    let socketPath: string;
    ({
      child: first,
      url,
      socketPath,
    } = await spawnProxyProcess(dir, ['--workers', '2'], {
      env: { BERTH_TEST_FAIL_SUCCESSOR_WHILE: failSuccessorMarker() },
    }));
    client = new ProxyClient(socketPath);
    await client.switchService('web', route(app.target));
  });

  afterAll(async () => {
    const { pid } = await client.health().catch(() => ({ pid: 0 }));
    if (pid) process.kill(pid, 'SIGTERM');
    first.kill('SIGKILL');
    await client.close();
    await app.close();
    await until(() => pid === 0 || hasEnded(pid), 15_000);
    await rm(dir, { recursive: true, force: true });
  });

  /** The first restart goes through `berth-agent proxy-restart`, the others send SIGUSR2. */
  async function restart(round: number): Promise<number> {
    const before = (await client.health()).pid;
    if (round === 0) {
      let out = '';
      const code = await runAgentCli(['proxy-restart', '--data-dir', dir], {
        out: (text) => void (out += text),
        err: (text) => void (out += text),
      });
      expect(code, out).toBe(0);
      expect(out).toMatch(new RegExp(`^proxy restarted: pid ${before} → \\d+`));
    } else {
      process.kill(before, 'SIGUSR2');
    }
    let after = before;
    await until(async () => {
      after = (await client.health()).pid;
      return after !== before;
    }, 30_000);
    await until(() => hasEnded(before), 30_000);
    return after;
  }

  it('restarted 5 times under steady load: 0 failed requests, routes kept, a slow request finished', async () => {
    const load = startLoad(url, { concurrency: 20, path: '/' });
    const pids = new Set<number>([(await client.health()).pid]);
    const slow = send(url, '/slow?ms=1500');
    await until(() => app.slowReceived > 0);
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      pids.add(await restart(round));
    }
    const report = await load.stop();
    const slowReply = await slow;

    expect(pids.size).toBe(6);
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(500);
    expect(slowReply.status).toBe(200);
    expect(echoOf(slowReply).upstream).toBe('app');
    expect((await client.listServices()).map((service) => service.service)).toEqual(['web']);
  });

  it('a successor that fails to start leaves the running process serving and taking commands', async () => {
    const before = (await client.health()).pid;
    await writeFile(failSuccessorMarker(), '');
    try {
      const load = startLoad(url, { concurrency: 5, path: '/' });
      process.kill(before, 'SIGUSR2');
      // The failed successor is noticed once it exits; the admin socket is bound again after.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      await client.switchService('other', route(app.target, { hosts: ['other.test'] }));
      const report = await load.stop();
      expect(report.failures).toEqual([]);
      expect((await client.health()).pid).toBe(before);
      expect((await send(url, '/', { host: 'other.test' })).status).toBe(200);
    } finally {
      await rm(failSuccessorMarker(), { force: true });
    }
  });
});
