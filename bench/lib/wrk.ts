import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors plus non-2xx/3xx responses. */
  errors: number;
}

export interface LoadOptions {
  threads: number;
  connections: number;
  durationSeconds: number;
}

/** Runs `wrk --latency` against `url` and reads its summary. */
export async function runWrk(url: string, options: LoadOptions): Promise<LoadResult> {
  const { stdout } = await run(
    'wrk',
    [
      `-t${options.threads}`,
      `-c${options.connections}`,
      `-d${options.durationSeconds}s`,
      '--latency',
      url,
    ],
    { timeout: (options.durationSeconds + 30) * 1000 },
  );
  return parseWrkOutput(stdout);
}

export function parseWrkOutput(output: string): LoadResult {
  const requestsPerSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  const p50Ms = latencyMs(/^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output));
  const p99Ms = latencyMs(/^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(output));
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = (socketErrors?.slice(1) ?? []).reduce((sum, count) => sum + Number(count), non2xx);
  if (!Number.isFinite(requestsPerSecond) || !Number.isFinite(p50Ms) || !Number.isFinite(p99Ms)) {
    throw new Error(`could not read wrk output:\n${output}`);
  }
  return { requestsPerSecond, p50Ms, p99Ms, errors };
}

function latencyMs(match: RegExpExecArray | null): number {
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  const unit = match[2];
  return unit === 'us' ? value / 1000 : unit === 's' ? value * 1000 : value;
}
