import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LoadOptions, LoadResult } from './wrk.ts';

const run = promisify(execFile);

/**
 * `h2load` (Debian's nghttp2-client) as wrk's HTTP/2 counterpart: `connections` clients with one
 * stream each, as wrk's connections, over TLS. It prints no percentiles, so p50 and p99 come
 * from its per-request log (start µs, status, duration µs per line). `url` must name the host:
 * h2load sends no SNI for an IP address.
 */
export async function runH2load(
  h2loadPath: string,
  url: string,
  options: LoadOptions,
): Promise<LoadResult> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-h2load-'));
  try {
    const logPath = join(dir, 'requests.tsv');
    const { stdout } = await run(
      h2loadPath,
      [
        `--clients=${options.connections}`,
        '--max-concurrent-streams=1',
        `--threads=${options.threads}`,
        `--duration=${options.durationSeconds}`,
        `--log-file=${logPath}`,
        url,
      ],
      { timeout: (options.durationSeconds + 30) * 1000, maxBuffer: 16 * 1024 * 1024 },
    );
    return parseH2load(stdout, await readFile(logPath, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** h2load's summary and its per-request log as a LoadResult. */
export function parseH2load(output: string, log: string): LoadResult {
  const requestsPerSecond = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(output)?.[1]);
  // h2load's "failed" counts network errors, timeouts and non-2xx/3xx answers.
  const failed = /(\d+) failed, \d+ errored, \d+ timeout/.exec(output);
  const durationsMs: number[] = [];
  for (const line of log.split('\n')) {
    const durationMicros = line.split('\t')[2];
    if (durationMicros !== undefined) durationsMs.push(Number(durationMicros) / 1000);
  }
  durationsMs.sort((a, b) => a - b);
  const percentile = (share: number): number =>
    durationsMs[Math.min(durationsMs.length - 1, Math.floor(share * durationsMs.length))] ??
    Number.NaN;
  if (!Number.isFinite(requestsPerSecond) || durationsMs.length === 0) {
    throw new Error(`could not read h2load output:\n${output}`);
  }
  return {
    requestsPerSecond,
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    errors: Number(failed?.[1] ?? 0),
  };
}
