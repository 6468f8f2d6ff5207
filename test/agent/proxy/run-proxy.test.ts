import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { parseProxyArguments } from '../../../agent/proxy/run-proxy.ts';
import { BerthError } from '../../../shared/errors.ts';
import { echoOf, route, send, startUpstream, type TestUpstream, until } from './proxy-harness.ts';

const mainPath = fileURLToPath(new URL('./fixtures/run-proxy-main.ts', import.meta.url));

describe('parseProxyArguments', () => {
  it('reads every flag', () => {
    expect(
      parseProxyArguments([
        '--http-port',
        '8080',
        '--http-host',
        '127.0.0.1',
        '--socket',
        '/s',
        '--state',
        '/t',
        '--headers-timeout-ms',
        '5000',
        '--access-log',
        '--metrics-port',
        '9100',
        '--workers',
        '3',
      ]),
    ).toEqual({
      httpPort: 8080,
      httpHost: '127.0.0.1',
      adminSocketPath: '/s',
      statePath: '/t',
      traffic: {
        clientLimits: expect.objectContaining({ headersTimeoutMs: 5000 }),
        accessLog: true,
        metricsPort: 9100,
        metricsHost: '127.0.0.1',
      },
      workers: 3,
    });
  });

  it('defaults to port 80 on all interfaces, and a process per CPU but one', () => {
    expect(parseProxyArguments(['--socket', '/s', '--state', '/t'])).toMatchObject({
      httpPort: 80,
      httpHost: '0.0.0.0',
      workers: Math.max(1, availableParallelism() - 1),
    });
  });

  it.each([
    [['--socket', '/s'], /--state/],
    [['--socket', '/s', '--state', '/t', '--http-port', 'eighty'], /--http-port/],
    [['--socket', '/s', '--state', '/t', '--bogus'], /bogus/],
    [['--socket', '/s', '--state', '/t', '--workers', '0'], /--workers/],
  ])('rejects %j as USAGE', (argv, message) => {
    expect(() => parseProxyArguments(argv)).toThrow(BerthError);
    expect(() => parseProxyArguments(argv)).toThrow(message);
  });
});

describe('runProxyCommand', () => {
  let dir: string;
  let app: TestUpstream;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-run-proxy-'));
    app = await startUpstream('app');
  });

  afterEach(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logs when ready, and on SIGTERM finishes in-flight requests and exits 0', async () => {
    const socketPath = join(dir, 'proxy.sock');
    const args = [
      '--http-port',
      '0',
      '--http-host',
      '127.0.0.1',
      '--socket',
      socketPath,
      '--state',
      join(dir, 'state.json'),
      '--workers',
      '2',
    ];
    const child = spawn(process.execPath, ['--import', 'tsx', mainPath, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    let ready: { msg: string; httpAddress: { port: number } };
    do {
      const [line] = (await once(lines, 'line')) as [string];
      ready = JSON.parse(line) as typeof ready;
    } while (ready.msg !== 'proxy ready');

    const client = new ProxyClient(socketPath);
    await client.switchService('web', route(app.target));
    await client.close();
    const url = `http://127.0.0.1:${ready.httpAddress.port}`;
    const slow = send(url, '/slow?ms=1000');
    await until(() => app.slowReceived > 0);

    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    child.kill('SIGTERM');
    const reply = await slow;
    expect(reply.status).toBe(200);
    expect(echoOf(reply).upstream).toBe('app');
    const [code] = await exited;
    expect(code).toBe(0);
    await expect(send(url, '/')).rejects.toThrow(/ECONNREFUSED/);
    await expect(access(socketPath)).rejects.toThrow(/ENOENT/);
  });
});
