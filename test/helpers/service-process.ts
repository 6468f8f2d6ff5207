import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';

const READY_TIMEOUT_MS = 30_000;

/**
 * Starts a Berth daemon (`node bin/… run …`) with its output in `logPath`, and waits until
 * `readyUrl` answers 200 over TLS pinned to `fingerprint`; fails with the log when it exits
 * or does not answer in time.
 */
export async function startServiceProcess(options: {
  what: string;
  args: string[];
  env?: Record<string, string>;
  logPath: string;
  readyUrl: string;
  fingerprint: string;
}): Promise<ChildProcess> {
  const log = openSync(options.logPath, 'a');
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, BERTH_LOG_LEVEL: 'info', ...options.env },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const logText = (): Promise<string> => readFile(options.logPath, 'utf8').catch(() => '');
  const dispatcher = pinnedAgent(options.fingerprint);
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; Date.now() < deadline;) {
      if (child.exitCode !== null)
        throw new Error(`${options.what} exited ${child.exitCode}; log:\n${await logText()}`);
      try {
        const response = await request(options.readyUrl, { dispatcher });
        await response.body.dump();
        if (response.statusCode === 200) return child;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(
      `${options.what} did not answer within ${READY_TIMEOUT_MS} ms; log:\n${await logText()}`,
    );
  } finally {
    await dispatcher.close();
  }
}

/** Sends a signal and waits for the process to exit (no-op when it already has). */
export async function stopServiceProcess(
  child: ChildProcess | null,
  signal: NodeJS.Signals,
): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}
