import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { echoOf, route, send, startUpstream, type TestUpstream, until } from './proxy-harness.ts';
import { spawnProxyProcess } from './proxy-process-harness.ts';

/** User + system CPU time of `pid`, in clock ticks. */
function cpuTicksOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

describe('proxy with --workers 2: a replica serves the same sockets with the same table', () => {
  let dir: string;
  let blue: TestUpstream;
  let green: TestUpstream;
  let proxy: ChildProcess;
  let client: ProxyClient;
  let url: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-proxy-replicas-'));
    [blue, green] = await Promise.all([startUpstream('blue'), startUpstream('green')]);
    let socketPath: string;
    ({ child: proxy, url, socketPath } = await spawnProxyProcess(dir, ['--workers', '2']));
    client = new ProxyClient(socketPath);
    await client.switchService('web', route(blue.target));
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => proxy.once('exit', resolve));
    proxy.kill('SIGTERM');
    await exited;
    await client.close();
    await Promise.all([blue.close(), green.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  /** `count` requests, each on a new connection, so both processes get some. */
  async function upstreamsOfFreshRequests(count: number): Promise<Set<string>> {
    const answered = new Set<string>();
    for (let index = 0; index < count; index++) {
      const reply = await send(url, '/', { headers: { connection: 'close' } });
      answered.add(reply.status === 200 ? echoOf(reply).upstream : `HTTP ${reply.status}`);
    }
    return answered;
  }

  it('both processes serve; a switch reaches the replica before the admin call returns', async () => {
    const { pid, replicaPids = [] } = await client.health();
    expect(replicaPids).toHaveLength(1);
    const replicaPid = replicaPids[0] ?? 0;
    const before = { primary: cpuTicksOf(pid), replica: cpuTicksOf(replicaPid) };
    // 600 requests on new connections, 20 at a time: the kernel hands connections to both.
    const batches = Array.from({ length: 30 }, () =>
      Array.from({ length: 20 }, () => send(url, '/', { headers: { connection: 'close' } })),
    );
    for (const batch of batches) {
      expect(new Set((await Promise.all(batch)).map((reply) => reply.status))).toEqual(
        new Set([200]),
      );
    }
    // Each process burnt CPU on the traffic (a tick is 10 ms; an idle process burns none).
    expect(cpuTicksOf(replicaPid) - before.replica).toBeGreaterThan(2);
    expect(cpuTicksOf(pid) - before.primary).toBeGreaterThan(2);

    await client.switchService('web', route(green.target));
    expect(await upstreamsOfFreshRequests(60)).toEqual(new Set(['green']));
  });

  it('metrics add up over both processes', async () => {
    const total = (text: string): number =>
      text
        .split('\n')
        .filter((line) => line.startsWith('berth_proxy_requests_total{service="web"'))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    const before = total(await client.metrics());
    await upstreamsOfFreshRequests(40);
    expect(total(await client.metrics()) - before).toBe(40);
  });

  it('controls reach the replica; a killed replica comes back with the current table', async () => {
    await client.setMaintenance('web', { on: true, message: 'back soon' });
    expect(await upstreamsOfFreshRequests(30)).toEqual(new Set(['HTTP 503']));
    await client.setMaintenance('web', { on: false });

    const { replicaPids: [killed = 0] = [] } = await client.health();
    process.kill(killed, 'SIGKILL');
    await until(async () => {
      const { replicaPids = [] } = await client.health();
      return replicaPids.length === 1 && replicaPids[0] !== killed;
    }, 30_000);
    expect(await upstreamsOfFreshRequests(60)).toEqual(new Set(['green']));
  });
});
