import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServiceProcess, stopServiceProcess } from './service-process.ts';
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
    this.process = await startServiceProcess({
      what: 'controller',
      args: [berthBin, 'controller', 'run', '--data-dir', this.dataDir],
      logPath: this.#logPath,
      readyUrl: `${this.url}/v1/identity`,
      fingerprint: this.fingerprint,
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopServiceProcess(this.process, signal);
    this.process = null;
  }

  log(): Promise<string> {
    return readFile(this.#logPath, 'utf8').catch(() => '');
  }
}
