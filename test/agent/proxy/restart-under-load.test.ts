import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { startLoad } from '../../helpers/load.ts';
import { echoOf, route, send, startUpstream, type TestUpstream, until } from './proxy-harness.ts';

const mainPath = fileURLToPath(new URL('./fixtures/run-proxy-main.ts', import.meta.url));

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
    const socketPath = join(dir, 'proxy.sock');
    first = spawn(
      process.execPath,
      [
        ...['--import', 'tsx', mainPath],
        ...['--http-port', '0', '--http-host', '127.0.0.1'],
        ...['--socket', socketPath, '--state', join(dir, 'state.json')],
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, BERTH_TEST_FAIL_SUCCESSOR_WHILE: failSuccessorMarker() },
      },
    );
    const lines = createInterface({ input: first.stdout as NodeJS.ReadableStream });
    const port = await new Promise<number>((resolve) => {
      lines.on('line', (line) => {
        const entry = JSON.parse(line) as { msg: string; httpAddress?: { port: number } };
        if (entry.msg === 'proxy ready' && entry.httpAddress) resolve(entry.httpAddress.port);
      });
    });
    url = `http://127.0.0.1:${port}`;
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

  async function restart(): Promise<number> {
    const before = (await client.health()).pid;
    process.kill(before, 'SIGUSR2');
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
      pids.add(await restart());
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
