import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import {
  controllerConfigPath,
  loadControllerConfig,
  writeControllerConfig,
} from '../../shared/config/controller-config.ts';
import type { TestApp } from './test-fleet.ts';

const berthBin = fileURLToPath(new URL('../../bin/berth.js', import.meta.url));

/** A real `berth controller run` process with its own data dir and port. */
export class TestController {
  readonly dataDir: string;
  readonly port: number;
  fingerprint = '';
  process: ChildProcess | null = null;
  readonly #logPath: string;

  constructor(dataDir: string, port: number) {
    this.dataDir = dataDir;
    this.port = port;
    this.#logPath = join(dataDir, 'controller.log');
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** `berth controller init`, trusting the app's release and operator keys. */
  async init(app: TestApp, keys: { release: string; operator: string }): Promise<void> {
    const result = await app.berth(
      'controller',
      'init',
      ...['--data-dir', this.dataDir, '--api-host', '127.0.0.1', '--api-port', String(this.port)],
      ...['--trust-release-key', keys.release, '--trust-operator-key', keys.operator],
    );
    if (result.code !== 0) throw new Error(`berth controller init failed: ${result.stderr}`);
    const fingerprint = /(sha256:[0-9a-f]{64})/.exec(result.stdout)?.[1];
    if (!fingerprint)
      throw new Error(`berth controller init printed no fingerprint:\n${result.stdout}`);
    this.fingerprint = fingerprint;
  }

  /** Shorter poll and staleness windows than production, so "offline" shows within seconds. */
  async tune(settings: { longPollMaxMs: number; staleAfterMs: number }): Promise<void> {
    const path = controllerConfigPath(this.dataDir);
    await writeControllerConfig(path, { ...(await loadControllerConfig(path)), ...settings });
  }

  async start(): Promise<void> {
    const log = openSync(this.#logPath, 'a');
    const child = spawn(
      process.execPath,
      [berthBin, 'controller', 'run', '--data-dir', this.dataDir],
      {
        env: { ...process.env, BERTH_LOG_LEVEL: 'info' },
        stdio: ['ignore', log, log],
      },
    );
    closeSync(log);
    this.process = child;
    const dispatcher = pinnedAgent(this.fingerprint);
    try {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        if (child.exitCode !== null)
          throw new Error(`controller exited ${child.exitCode}; log:\n${await this.log()}`);
        try {
          const response = await request(`${this.url}/v1/identity`, { dispatcher });
          await response.body.dump();
          if (response.statusCode === 200) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`controller did not answer within 30 s; log:\n${await this.log()}`);
    } finally {
      await dispatcher.close();
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.process = null;
  }

  log(): Promise<string> {
    return readFile(this.#logPath, 'utf8').catch(() => '');
  }
}
