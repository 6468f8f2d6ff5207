import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { runBerth } from '../../controller/berth-cli.ts';
import { runAgentCli } from '../../agent/commands/agent-cli.ts';
import { ProxyClient } from '../../agent/proxy/proxy-client.ts';
import { startServiceProcess, stopServiceProcess } from './service-process.ts';
import { docker, dockerQuietly } from './docker-cli.ts';

const agentBin = fileURLToPath(new URL('../../bin/berth-agent.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A real agent process with its own data dir, API port, proxy and Docker network. */
export class TestHost {
  readonly name: string;
  readonly dataDir: string;
  readonly apiPort: number;
  readonly httpPort: number;
  readonly network: string;
  fingerprint = '';
  process: ChildProcess | null = null;
  readonly #logPath: string;

  constructor(name: string, dataDir: string, apiPort: number, httpPort: number, network: string) {
    this.name = name;
    this.dataDir = dataDir;
    this.apiPort = apiPort;
    this.httpPort = httpPort;
    this.network = network;
    this.#logPath = join(dataDir, 'agent.log');
  }

  /** `berth-agent init` arguments for this host, trusting the given public keys. */
  initArgs(keys: { release: string; operator: string }): string[] {
    return [
      'init',
      ...['--name', this.name, '--data-dir', this.dataDir],
      ...['--api-host', '127.0.0.1', '--api-port', String(this.apiPort)],
      ...[
        '--http-port',
        String(this.httpPort),
        '--https-port',
        '0',
        '--docker-network',
        this.network,
      ],
      ...['--trust-release-key', keys.release, '--trust-operator-key', keys.operator],
    ];
  }

  /** Reads the fingerprint `berth-agent init` printed. */
  readFingerprint(initOutput: string): void {
    const fingerprint = /fingerprint:\s+(sha256:[0-9a-f]{64})/.exec(initOutput)?.[1];
    if (!fingerprint) throw new Error(`berth-agent init printed no fingerprint:\n${initOutput}`);
    this.fingerprint = fingerprint;
  }

  get url(): string {
    return `https://127.0.0.1:${this.apiPort}`;
  }

  get proxyUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get proxySocket(): string {
    return join(this.dataDir, 'proxy.sock');
  }

  /** Starts `berth-agent run` and waits until its API answers. */
  async start(env: Record<string, string> = {}): Promise<void> {
    this.process = await startServiceProcess({
      what: `agent ${this.name}`,
      args: [agentBin, 'run', '--data-dir', this.dataDir],
      env,
      logPath: this.#logPath,
      readyUrl: `${this.url}/v1/health`,
      fingerprint: this.fingerprint,
    });
  }

  /** Sends a signal and waits for the agent process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopServiceProcess(this.process, signal);
    this.process = null;
  }

  /** Waits for the agent to exit by itself (a fault-injected crash). */
  async waitForExit(timeoutMs = 60_000): Promise<number | string | null> {
    const child = this.process;
    if (!child) return null;
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(timeoutMs)]);
    }
    this.process = null;
    return child.signalCode ?? child.exitCode;
  }

  log(): Promise<string> {
    return readFile(this.#logPath, 'utf8').catch(() => '');
  }

  proxy(): ProxyClient {
    return new ProxyClient(this.proxySocket);
  }

  /** Kills the agent and its detached proxy, removes its containers and network. */
  async destroy(services: string[]): Promise<void> {
    await this.stop('SIGKILL');
    try {
      const { pid } = await this.proxy().health();
      process.kill(pid, 'SIGKILL');
    } catch {
      // proxy not running
    }
    for (const service of services) {
      const ids = (
        await docker(['ps', '-aq', '--filter', `label=berth.service=${service}`])
      ).trim();
      if (ids) await dockerQuietly(['rm', '-f', ...ids.split('\n')]);
    }
    await dockerQuietly(['network', 'rm', this.network]);
  }
}

/** An app folder with keys, config/deploy.yml and registered hosts; `berth` runs in process. */
export class TestApp {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(dir: string) {
    this.dir = dir;
    this.env = {
      ...process.env,
      BERTH_KEYS_DIR: join(dir, 'keys'),
      BERTH_OPERATOR: 'test@berth',
      NO_COLOR: '1',
    };
    delete this.env.VERSION;
  }

  async berth(...argv: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await runBerth(argv, {
      cwd: this.dir,
      env: this.env,
      output: { out: (t) => void (stdout += t), err: (t) => void (stderr += t) },
    });
    return { code, stdout, stderr };
  }

  async writeConfig(config: Record<string, unknown>): Promise<void> {
    await mkdir(join(this.dir, 'config'), { recursive: true });
    await writeFile(join(this.dir, 'config', 'deploy.yml'), stringify(config));
  }

  async publicKeys(): Promise<{ release: string; operator: string }> {
    const result = await this.berth('keys', 'generate');
    if (result.code !== 0) throw new Error(`keys generate failed: ${result.stderr}`);
    const release = /release key:\s+(\S+)/.exec(result.stdout)?.[1];
    const operator = /operator key:\s+(\S+)/.exec(result.stdout)?.[1];
    if (!release || !operator) throw new Error(`unexpected keys output:\n${result.stdout}`);
    return { release, operator };
  }
}

/** Creates an app dir with keys, then `count` agents set up with `berth-agent init`, started and registered. */
export async function createFleet(options: {
  service: string;
  hosts?: number;
  start?: boolean;
}): Promise<{
  app: TestApp;
  hosts: TestHost[];
  root: string;
  destroy(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'berth-fleet-'));
  const app = new TestApp(join(root, 'app'));
  await mkdir(app.dir, { recursive: true });
  const keys = await app.publicKeys();
  const hosts: TestHost[] = [];
  for (let i = 1; i <= (options.hosts ?? 1); i++) {
    const host = new TestHost(
      `web-${i}`,
      join(root, `agent-${i}`),
      await freePort(),
      await freePort(),
      `berth-test-${options.service}-${i}`,
    );
    const init = await captureAgentCli(host.initArgs(keys));
    host.readFingerprint(init);
    hosts.push(host);
  }
  if (options.start !== false) {
    for (const host of hosts) {
      await host.start();
      const added = await app.berth(
        'hosts',
        'add',
        host.name,
        '--url',
        host.url,
        '--fingerprint',
        host.fingerprint,
      );
      if (added.code !== 0) throw new Error(`hosts add failed: ${added.stderr}`);
    }
  }
  return {
    app,
    hosts,
    root,
    destroy: async () => {
      for (const host of hosts) await host.destroy([options.service]);
      if (!process.env.BERTH_KEEP_TEST_DIRS && existsSync(root))
        await rm(root, { recursive: true, force: true });
    },
  };
}

async function captureAgentCli(argv: string[]): Promise<string> {
  let captured = '';
  const code = await runAgentCli(argv, {
    out: (t) => void (captured += t),
    err: (t) => void (captured += t),
  });
  if (code !== 0) throw new Error(`berth-agent ${argv[0]} exited ${code}:\n${captured}`);
  return captured;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
