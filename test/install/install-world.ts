import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { TestController } from '../helpers/test-controller.ts';
import { freePort, TestApp } from '../helpers/test-fleet.ts';
import { cachedBundle, type CachedBundle } from './bundle-cache.ts';

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A real controller serving this machine's agent bundle, an app folder that talks to it, and
 * a scratch root to install into. install.sh is the one the controller serves, fetched over
 * HTTPS pinned to its certificate, as an operator's `curl … /install.sh` gets it.
 */
export class InstallWorld {
  readonly dir: string;
  readonly root: string;
  readonly app: TestApp;
  readonly controller: TestController;
  readonly bundle: CachedBundle;
  readonly scriptPath: string;
  readonly #tmp: string;

  private constructor(dir: string, app: TestApp, controller: TestController, bundle: CachedBundle) {
    this.dir = dir;
    this.root = join(dir, 'root');
    this.app = app;
    this.controller = controller;
    this.bundle = bundle;
    this.scriptPath = join(dir, 'install.sh');
    this.#tmp = join(dir, 'tmp');
  }

  static async create(service: string): Promise<InstallWorld> {
    const bundle = await cachedBundle();
    const dir = await mkdtemp(join(tmpdir(), 'berth-install-'));
    const app = new TestApp(join(dir, 'app'));
    await mkdir(app.dir, { recursive: true });
    const controller = new TestController(join(dir, 'controller'), await freePort());
    await controller.init(app, await app.publicKeys());
    await controller.tune({ longPollMaxMs: 3_000, staleAfterMs: 10_000 });
    await mkdir(join(controller.dataDir, 'bundles'));
    const world = new InstallWorld(dir, app, controller, bundle);
    await world.restoreBundle();
    await controller.start();
    await app.writeConfig({
      service,
      image: 'placeholder/replaced-by-test',
      servers: { web: ['web-1'] },
      controller: { url: controller.url, fingerprint: controller.fingerprint },
    });
    await mkdir(world.root);
    await mkdir(world.#tmp);
    await writeFile(world.scriptPath, await world.get('/install.sh'), { mode: 0o755 });
    return world;
  }

  get bundlesDir(): string {
    return join(this.controller.dataDir, 'bundles');
  }

  /** Puts the built bundle and its checksum file where the controller serves them from. */
  async restoreBundle(): Promise<void> {
    const target = join(this.bundlesDir, this.bundle.fileName);
    await copyFile(this.bundle.path, target);
    await copyFile(`${this.bundle.path}.sha256`, `${target}.sha256`);
  }

  /** GET from the controller over TLS pinned to its fingerprint. */
  async get(path: string): Promise<string> {
    const dispatcher = pinnedAgent(this.controller.fingerprint);
    try {
      const response = await request(`${this.controller.url}${path}`, { dispatcher });
      const body = await response.body.text();
      if (response.statusCode !== 200)
        throw new Error(`GET ${path}: ${response.statusCode} ${body}`);
      return body;
    } finally {
      await dispatcher.close();
    }
  }

  /** `berth hosts add NAME` → the one-time join token it printed. */
  async issueToken(name: string): Promise<string> {
    const result = await this.app.berth('hosts', 'add', name);
    const token = /(berth-join-1\.\S+)/.exec(result.stdout)?.[1];
    if (result.code !== 0 || !token) throw new Error(`hosts add ${name} failed:\n${result.stderr}`);
    return token;
  }

  /**
   * `… | sh -s -- --root ROOT ARGS…`: the script on standard input, as `curl … | sh` runs it
   * (so a command in it that read standard input would eat the script), temp files kept here.
   */
  install(...args: string[]): Promise<ScriptResult> {
    return new Promise((resolve, reject) => {
      const script = openSync(this.scriptPath, 'r');
      const child = spawn('sh', ['-s', '--', '--root', this.root, ...args], {
        env: { ...process.env, TMPDIR: this.#tmp },
        stdio: [script, 'pipe', 'pipe'],
      });
      closeSync(script);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  /** What install.sh left in its temp dir (nothing, when it cleans up). */
  leftoverTempFiles(): Promise<string[]> {
    return readdir(this.#tmp);
  }

  async destroy(): Promise<void> {
    await this.controller.stop('SIGKILL');
    if (!process.env.BERTH_KEEP_TEST_DIRS && existsSync(this.dir))
      await rm(this.dir, { recursive: true, force: true });
  }
}
