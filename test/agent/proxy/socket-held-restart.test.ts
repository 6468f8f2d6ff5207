import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { descriptorOf } from '../../../agent/proxy/listener-handover.ts';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { startLoad } from '../../helpers/load.ts';
import { route, startUpstream, type TestUpstream, until } from './proxy-harness.ts';
import { proxyMainPath } from './proxy-process-harness.ts';

/**
 * systemd's part in `systemctl restart berth-proxy`, played by a shell: it holds the listening
 * socket as fd 3 (never accepting on it) and starts the proxy again whenever it exits, with
 * LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES set as systemd sets them. A stop signals the whole
 * process group, as KillMode=control-group does; the shell itself ignores it.
 */
const supervisorLoop = `trap '' TERM
while :; do
  LISTEN_FDS=1 LISTEN_FDNAMES=http sh -c 'export LISTEN_PID=$$; exec "$@"' proxy "$@"
  [ -e "$STOP_MARKER" ] && exit 0
done`;

describe('proxy restarted on a socket its supervisor holds (systemd socket activation)', () => {
  let dir: string;
  let app: TestUpstream;
  let supervisor: ChildProcess;
  let client: ProxyClient;
  let url: string;
  const stopMarker = (): string => join(dir, 'stop');
  const logPath = (): string => join(dir, 'proxy.log');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-proxy-socket-'));
    app = await startUpstream('app');
    const listening = createServer();
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
    const socketPath = join(dir, 'proxy.sock');
    supervisor = spawn(
      'sh',
      [
        ...['-c', supervisorLoop, 'supervisor'],
        ...[process.execPath, '--import', 'tsx', proxyMainPath],
        ...['--socket', socketPath, '--state', join(dir, 'state.json'), '--workers', '2'],
      ],
      {
        detached: true,
        stdio: ['ignore', openSync(logPath(), 'a'), 'inherit', descriptorOf(listening)],
        env: { ...process.env, STOP_MARKER: stopMarker() },
      },
    );
    // From here only the supervisor holds the socket, as systemd would.
    listening.close();
    client = new ProxyClient(socketPath);
    await until(() => proxyPid().then((pid) => pid !== undefined), 30_000);
    await client.switchService('web', route(app.target));
  });

  afterAll(async () => {
    await writeFile(stopMarker(), '');
    process.kill(-(supervisor.pid ?? 0), 'SIGTERM');
    if (supervisor.exitCode === null) await once(supervisor, 'exit');
    await client.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function proxyPid(): Promise<number | undefined> {
    try {
      return (await client.health()).pid;
    } catch {
      return undefined;
    }
  }

  it('SIGTERM to the primary and its replica, start again, 5 times under load: 0 failed', async () => {
    const load = startLoad(url, { concurrency: 20, path: '/' });
    const pids = new Set<number>();
    for (let round = 0; round < 5; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const before = await proxyPid();
      expect(before).toBeDefined();
      pids.add(before ?? 0);
      process.kill(-(supervisor.pid ?? 0), 'SIGTERM');
      await until(async () => {
        const now = await proxyPid();
        return now !== undefined && now !== before;
      }, 30_000);
    }
    const report = await load.stop();

    expect(pids.size).toBe(5);
    // Every process that began to stop (primaries and replicas) finished its drain: none was
    // cut short by the second SIGTERM its primary sends after systemd's.
    const entries = (await readFile(logPath(), 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { pid: number; msg: string });
    const pidsThat = (msg: string): number[] =>
      entries
        .filter((entry) => entry.msg === msg)
        .map((entry) => entry.pid)
        .sort();
    expect(pidsThat('proxy stopping').length).toBeGreaterThanOrEqual(10);
    expect(pidsThat('proxy stopped')).toEqual(pidsThat('proxy stopping'));
    expect(report.failures).toEqual([]);
    expect(report.failed).toBe(0);
    expect(report.total).toBeGreaterThan(200);
    expect((await client.listServices()).map((service) => service.service)).toEqual(['web']);
  });
});
