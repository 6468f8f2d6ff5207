import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';

export const REGISTRY_BINARY_PATH = '/usr/bin/docker-registry';

/** A throwaway Docker registry on a loopback port (127.0.0.0/8 is insecure-by-default for dockerd). */
export interface Registry {
  /** `127.0.0.1:PORT`, the prefix of image repositories. */
  address: string;
  stop(): Promise<void>;
}

const startAttempts = 3;
const readyTimeoutMs = 15_000;
const stopTimeoutMs = 5_000;
const pollIntervalMs = 100;

/** Starts Debian's docker-registry with storage in a fresh temp dir; stop() removes both. */
export async function startRegistry(options: { htpasswd?: string } = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
  const logPath = join(dir, 'registry.log');
  for (let attempt = 1; ; attempt += 1) {
    // The free port can be taken before the registry binds it; a new port is the cure.
    const address = `127.0.0.1:${await freeLoopbackPort()}`;
    const child = await spawnRegistry(dir, address, logPath, options.htpasswd);
    if (await waitUntilServing(child, address)) {
      return { address, stop: () => stopRegistry(child, dir) };
    }
    await stopProcess(child);
    if (attempt === startAttempts) {
      const log = await readFile(logPath, 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(
        `docker-registry did not serve ${address}/v2/ (${startAttempts} attempts); its log:\n${log}`,
      );
    }
  }
}

async function spawnRegistry(
  dir: string,
  address: string,
  logPath: string,
  htpasswd: string | undefined,
): Promise<ChildProcess> {
  const configPath = join(dir, 'config.yml');
  if (htpasswd) await writeFile(join(dir, 'htpasswd'), `${htpasswd}\n`);
  const config = {
    ...(htpasswd
      ? { auth: { htpasswd: { realm: 'berth-test', path: join(dir, 'htpasswd') } } }
      : {}),
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: { addr: address },
  };
  await writeFile(configPath, stringify(config));
  const log = openSync(logPath, 'a');
  const child = spawn(REGISTRY_BINARY_PATH, ['serve', configPath], { stdio: ['ignore', log, log] });
  closeSync(log);
  child.on('error', () => undefined);
  return child;
}

async function waitUntilServing(child: ChildProcess, address: string): Promise<boolean> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const response = await fetch(`http://${address}/v2/`).catch(() => null);
    // 401 is a registry that wants credentials: up all the same.
    if (response?.ok || response?.status === 401) return true;
    await sleep(pollIntervalMs);
  }
  return false;
}

async function stopRegistry(child: ChildProcess, dir: string): Promise<void> {
  await stopProcess(child);
  await rm(dir, { recursive: true, force: true });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
