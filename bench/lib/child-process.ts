import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface StartedChild {
  child: ChildProcess;
  /** The first stdout line that matched `isReady`, parsed as JSON. */
  ready: Record<string, unknown>;
  stop(): Promise<void>;
}

const readyTimeoutMs = 15_000;

/** Spawns a process and waits for a JSON line on stdout that satisfies `isReady`. */
export async function startChild(
  command: string,
  args: string[],
  isReady: (line: Record<string, unknown>) => boolean,
): Promise<StartedChild> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  };
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  const timer = setTimeout(() => child.kill('SIGKILL'), readyTimeoutMs);
  try {
    for await (const line of lines) {
      const parsed = parseJsonLine(line);
      if (parsed !== undefined && isReady(parsed)) {
        child.stdout?.resume();
        return { child, ready: parsed, stop };
      }
    }
  } finally {
    clearTimeout(timer);
  }
  await stop();
  throw new Error(`${command} ${args.join(' ')} exited before it was ready`);
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
