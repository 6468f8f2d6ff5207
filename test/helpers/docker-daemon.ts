import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const DOCKER_SOCKET_PATH = '/var/run/docker.sock';
export const DOCKERD_LOG_PATH = join(tmpdir(), 'berth-dockerd.log');
const DOCKERD_PID_PATH = '/var/run/docker.pid';

const startTimeoutMs = 60_000;
const pollIntervalMs = 200;
const pingTimeoutMs = 2_000;

let ready: Promise<void> | undefined;

/**
 * Makes sure a Docker engine answers on /var/run/docker.sock, starting `dockerd` detached when
 * none does (nothing starts it on a fresh machine: no systemd). Idempotent; the daemon outlives
 * the test run on purpose, as a system service would.
 */
export function ensureDockerd(): Promise<void> {
  ready ??= startUnlessAnswering().catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  return ready;
}

/** True when the engine answers `GET /_ping` on the socket. */
export function isDockerAnswering(socketPath = DOCKER_SOCKET_PATH): Promise<boolean> {
  return new Promise((resolve) => {
    const ping = request({ socketPath, path: '/_ping', timeout: pingTimeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    ping.on('timeout', () => ping.destroy());
    ping.on('error', () => resolve(false));
    ping.end();
  });
}

async function startUnlessAnswering(): Promise<void> {
  if (await isDockerAnswering()) return;
  removeStalePidFile();
  const log = openSync(DOCKERD_LOG_PATH, 'a');
  const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exitReason: string | null = null;
  dockerd.on(
    'error',
    (error) => (exitReason = `could not be started (${error.message}); is docker.io installed?`),
  );
  dockerd.on(
    'exit',
    (code, signal) => (exitReason = `exited (${signal ?? `code ${code}`}) before answering`),
  );
  dockerd.unref();

  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (await isDockerAnswering()) return;
    // Another dockerd may have won the race for the socket; only give up if none answers.
    if (exitReason !== null && !(await isDockerAnswering())) {
      throw new Error(`dockerd ${exitReason}; see ${DOCKERD_LOG_PATH}`);
    }
    await sleep(pollIntervalMs);
  }
  throw new Error(
    `dockerd did not answer on ${DOCKER_SOCKET_PATH} within ${startTimeoutMs / 1000} s; see ${DOCKERD_LOG_PATH}`,
  );
}

/**
 * A dockerd killed without its shutdown (a machine's session ending) leaves its pid file, and
 * the next dockerd refuses to start over it. Removed only when no process has that pid.
 */
function removeStalePidFile(): void {
  let pid: number;
  try {
    pid = Number(readFileSync(DOCKERD_PID_PATH, 'utf8').trim());
  } catch {
    return;
  }
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) return;
  rmSync(DOCKERD_PID_PATH, { force: true });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
