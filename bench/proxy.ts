/**
 * Proxy throughput and latency: the same upstream reached (a) directly, (b) through Berth's
 * proxy, (c) through nginx. Loopback only; every process it starts is stopped at the end.
 *
 *   npx tsx bench/proxy.ts [--duration 10] [--connections 50]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ProxyClient } from '../agent/proxy/proxy-client.ts';
import { startChild, type StartedChild } from './lib/child-process.ts';
import { startNginx, type RunningNginx } from './lib/nginx.ts';
import { freePort } from './lib/ports.ts';
import { runWrk, type LoadResult } from './lib/wrk.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
  },
});
const load = {
  threads: 2,
  connections: Number(values.connections),
  durationSeconds: Number(values.duration),
};
const warmUp = { ...load, durationSeconds: 2 };
const tsx = ['--import', 'tsx'];

function libPath(name: string): string {
  return fileURLToPath(new URL(`./lib/${name}`, import.meta.url));
}

async function main(): Promise<void> {
  console.log(`machine: ${availableParallelism()} cpus, ${cpus()[0]?.model ?? 'unknown cpu'}`);
  console.log(`date:    ${new Date().toISOString()}`);
  console.log(
    `node:    ${process.version}; wrk -t${load.threads} -c${load.connections} -d${load.durationSeconds}s --latency`,
  );

  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-proxy-'));
  const started: { stop(): Promise<void> }[] = [];
  try {
    const upstream: StartedChild = await startChild(
      process.execPath,
      [...tsx, libPath('upstream-main.ts')],
      (line) => 'port' in line,
    );
    started.push(upstream);
    const upstreamPort = Number(upstream.ready.port);

    const socketPath = join(dir, 'proxy.sock');
    const proxy = await startChild(
      process.execPath,
      [
        ...tsx,
        libPath('proxy-main.ts'),
        '--http-port',
        '0',
        '--http-host',
        '127.0.0.1',
        '--socket',
        socketPath,
        '--state',
        join(dir, 'state.json'),
      ],
      (line) => line.msg === 'proxy ready',
    );
    started.push(proxy);
    const proxyPort = Number((proxy.ready.httpAddress as { port: number }).port);
    const client = new ProxyClient(socketPath);
    await client.switchService('bench', {
      hosts: [],
      pathPrefix: '/',
      stripPathPrefix: true,
      target: `127.0.0.1:${upstreamPort}`,
      healthCheckPath: '/',
      responseTimeoutMs: 30_000,
    });
    await client.close();

    const nginx: RunningNginx = await startNginx(
      join(dir, 'nginx'),
      await freePort(),
      upstreamPort,
    );
    started.push(nginx);

    const targets = [
      { name: 'direct to upstream', url: `http://127.0.0.1:${upstreamPort}/` },
      { name: 'through Berth proxy', url: `http://127.0.0.1:${proxyPort}/` },
      { name: 'through nginx', url: `http://127.0.0.1:${nginx.port}/` },
    ];
    const results: { name: string; result: LoadResult }[] = [];
    for (const target of targets) {
      await runWrk(target.url, warmUp);
      results.push({ name: target.name, result: await runWrk(target.url, load) });
    }
    printTable(results);
  } finally {
    for (const process of started.reverse()) await process.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function printTable(results: { name: string; result: LoadResult }[]): void {
  const nginx =
    results.find(({ name }) => name === 'through nginx')?.result.requestsPerSecond ?? Number.NaN;
  const rows = results.map(({ name, result }) => [
    name,
    result.requestsPerSecond.toFixed(0),
    result.p50Ms.toFixed(2),
    result.p99Ms.toFixed(2),
    String(result.errors),
    (result.requestsPerSecond / nginx).toFixed(2),
  ]);
  const header = ['target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs nginx'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  console.log();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

await main();
