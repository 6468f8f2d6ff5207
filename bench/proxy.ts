/**
 * Proxy throughput and latency: the same upstream reached (a) directly, (b) through Berth's
 * proxy, (c) through the bare floor under it (Berth's HTTP/1.1 front and upstream pool, no features),
 * (d) through nginx, (e) through Caddy, then (f) Berth, the floor, nginx and Caddy
 * terminating TLS with the same self-signed ECDSA P-256 certificate (wrk: HTTP/1.1, keep-alive,
 * so handshakes are few), then (g) Berth and nginx serving HTTP/2 over TLS (h2load, one stream
 * per connection; skipped without Debian's nghttp2-client). Caddy rows need `apt-get install
 * caddy` (not in install-system-deps: the package's service would take port 80) and are skipped
 * without it. Loopback only; every process it starts is stopped at the end.
 *
 * The targets take turns, round after round, and the table gives medians: this box is shared
 * and noisy, and a ratio to nginx is only fair between runs made seconds apart.
 *
 *   npx tsx bench/proxy.ts [--rounds 3] [--duration 5] [--connections 50]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultWorkers } from '../agent/proxy/run-proxy.ts';
import { createSelfSignedCertificate } from '../shared/tls/self-signed-certificate.ts';
import { findCaddy, startCaddy } from './lib/caddy.ts';
import { startChild } from './lib/child-process.ts';
import { findOnPath } from './lib/find-on-path.ts';
import { runH2load } from './lib/h2load.ts';
import { startNginx } from './lib/nginx.ts';
import { freePort } from './lib/ports.ts';
import { processTreeCpuMs } from './lib/process-cpu.ts';
import { routeEverythingTo, routeTlsTo } from './lib/bench-routes.ts';
import { formatResultsTable, targetLegend } from './lib/results-table.ts';
import { summarize, type RoundResult, type TargetRounds } from './lib/rounds.ts';
import { runWrk, type LoadOptions, type LoadResult } from './lib/wrk.ts';

interface Target {
  name: string;
  url: string;
  /** The process doing the serving: the upstream itself, or the proxy in front of it. */
  pid: number;
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
  },
});
const roundCount = positiveWholeNumber('--rounds', values.rounds);
const load: LoadOptions = {
  threads: 2,
  connections: positiveWholeNumber('--connections', values.connections),
  durationSeconds: positiveWholeNumber('--duration', values.duration),
};

function positiveWholeNumber(option: string, text: string): number {
  const value = Number(text);
  if (Number.isInteger(value) && value > 0) return value;
  console.error(`${option} must be a whole number above 0, not "${text}"`);
  process.exit(2);
}
const tsx = ['--import', 'tsx'];

function libPath(name: string): string {
  return fileURLToPath(new URL(`./lib/${name}`, import.meta.url));
}

async function main(): Promise<void> {
  console.log(`machine: ${availableParallelism()} cpus, ${cpus()[0]?.model ?? 'unknown cpu'}`);
  console.log(`date:    ${new Date().toISOString()}`);
  console.log(
    `load:    wrk -t${load.threads} -c${load.connections} -d${load.durationSeconds}s --latency ` +
      `in ${roundCount} rounds (each target warmed up for 2 s first), node ${process.version}`,
  );

  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-proxy-'));
  const started: { stop(): Promise<void> }[] = [];
  try {
    const upstream = await startChild(
      process.execPath,
      [...tsx, libPath('upstream-main.ts')],
      (line) => 'port' in line,
    );
    started.push(upstream);
    const upstreamPort = Number(upstream.ready.port);

    // Berth as installed (one process per CPU but one), and with a process on every CPU.
    const berths = [await startBerth(join(dir, 'berth'), defaultWorkers(), upstreamPort)];
    if (availableParallelism() > defaultWorkers()) {
      berths.push(await startBerth(join(dir, 'berth-all'), availableParallelism(), upstreamPort));
    }
    started.push(...berths.map((berth) => berth.proxy));
    /** A row per Berth: `%` in `name` becomes its process count; `url` says where to load it. */
    const berthTargets = (name: string, url: (berth: StartedBerth) => string): Target[] =>
      berths.map((berth) => ({
        name: name.replace('%', berthLabel(berth.workers)),
        url: url(berth),
        pid: berth.proxy.child.pid ?? 0,
      }));

    // wrk sends the URL's host as SNI and Host: the certificate names 127.0.0.1 as a DNS name,
    // and localhost for h2load, which sends no SNI for an IP address.
    const certificate = await createSelfSignedCertificate({
      commonName: '127.0.0.1',
      dnsNames: ['127.0.0.1', 'localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const certificatePath = join(dir, 'cert.pem');
    const privateKeyPath = join(dir, 'key.pem');
    await writeFile(certificatePath, certificate.certPem);
    await writeFile(privateKeyPath, certificate.keyPem, { mode: 0o600 });
    const bare = await startBare(upstreamPort);
    const bareTls = await startBare(upstreamPort, certificatePath, privateKeyPath);
    started.push(bare, bareTls);
    const nginx = await startNginx(join(dir, 'nginx'), await freePort(), upstreamPort, {
      port: await freePort(),
      certificatePath,
      privateKeyPath,
    });
    started.push(nginx);
    const caddyPath = await findCaddy();
    const caddy =
      caddyPath === undefined
        ? undefined
        : await startCaddy(caddyPath, join(dir, 'caddy'), await freePort(), upstreamPort, {
            port: await freePort(),
            certificatePath,
            privateKeyPath,
          });
    if (caddy === undefined) console.log('caddy: not installed (apt-get install caddy), skipped');
    else started.push(caddy);

    const targets: Target[] = [
      {
        name: 'direct to upstream',
        url: `http://127.0.0.1:${upstreamPort}/`,
        pid: upstream.child.pid ?? 0,
      },
      ...berthTargets('through Berth (%)', (berth) => `http://127.0.0.1:${berth.httpPort}/`),
      {
        name: 'bare front + pool (floor)',
        url: `http://127.0.0.1:${String(bare.ready.port)}/`,
        pid: bare.child.pid ?? 0,
      },
      { name: 'through nginx', url: `http://127.0.0.1:${nginx.port}/`, pid: nginx.pid },
      ...(caddy === undefined
        ? []
        : [{ name: 'through Caddy', url: `http://127.0.0.1:${caddy.port}/`, pid: caddy.pid }]),
    ];
    console.log();
    console.log(
      formatResultsTable(summarize(await measureRounds(targets), 'through nginx'), 'through nginx'),
    );

    // Routed only now, so the plain-HTTP runs above see no TLS route at all.
    for (const berth of berths) {
      await routeTlsTo(berth.socketPath, `127.0.0.1:${upstreamPort}`, certificate);
    }
    const tlsTargets: Target[] = [
      ...berthTargets('Berth (%), TLS', (berth) => `https://127.0.0.1:${berth.httpsPort}/`),
      {
        name: 'bare front + pool, TLS',
        url: `https://127.0.0.1:${String(bareTls.ready.port)}/`,
        pid: bareTls.child.pid ?? 0,
      },
      { name: 'nginx, TLS', url: `https://127.0.0.1:${nginx.tlsPort ?? 0}/`, pid: nginx.pid },
      ...(caddy === undefined
        ? []
        : [{ name: 'Caddy, TLS', url: `https://127.0.0.1:${caddy.tlsPort}/`, pid: caddy.pid }]),
    ];
    console.log();
    console.log(
      formatResultsTable(summarize(await measureRounds(tlsTargets), 'nginx, TLS'), 'nginx, TLS'),
    );
    const h2loadPath = await findOnPath('h2load');
    if (h2loadPath === undefined) {
      console.log('\nh2load: not installed (apt-get install nghttp2-client), HTTP/2 skipped');
    } else {
      // h2load sends SNI only for a name; Caddy is set up for HTTP/1.1 only.
      const http2Targets: Target[] = [
        ...berthTargets('Berth (%), HTTP/2', (berth) => `https://localhost:${berth.httpsPort}/`),
        { name: 'nginx, HTTP/2', url: `https://localhost:${nginx.tlsPort ?? 0}/`, pid: nginx.pid },
      ];
      const http2Load: LoadRunner = (url, options) => runH2load(h2loadPath, url, options);
      const rounds = await measureRounds(http2Targets, http2Load);
      console.log();
      console.log(formatResultsTable(summarize(rounds, 'nginx, HTTP/2'), 'nginx, HTTP/2'));
    }
    console.log(
      `\nmedians over ${roundCount} rounds; ratios: the median (lowest–highest) of each round's ` +
        `ratio to nginx's run in the same round.\n${targetLegend}\n` +
        'cpu µs/req: CPU time of the serving process (with nginx, master and workers).',
    );
  } finally {
    for (const child of started.reverse()) await child.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** `1 process, default` or `2 processes`: the row's process count, and whether it is the default. */
function berthLabel(workers: number): string {
  const count = workers === 1 ? '1 process' : `${workers} processes`;
  return workers === defaultWorkers() ? `${count}, default` : count;
}

/** The floor row: Berth's HTTP/1.1 front and upstream pool alone, in one process. */
function startBare(upstreamPort: number, certificatePath?: string, privateKeyPath?: string) {
  const tlsArgs = certificatePath === undefined ? [] : [certificatePath, privateKeyPath ?? ''];
  return startChild(
    process.execPath,
    [...tsx, libPath('bare-proxy-main.ts'), `127.0.0.1:${upstreamPort}`, ...tlsArgs],
    (line) => 'port' in line,
  );
}

/** `berth-agent proxy` with `workers` processes, routing every host to the upstream. */
type StartedBerth = Awaited<ReturnType<typeof startBerth>>;

async function startBerth(dir: string, workers: number, upstreamPort: number) {
  const socketPath = join(dir, 'proxy.sock');
  const httpsPort = await freePort();
  const args = [
    ...['--http-port', '0', '--http-host', '127.0.0.1', '--socket', socketPath],
    ...['--https-port', String(httpsPort), '--workers', String(workers)],
    ...['--state', join(dir, 'state.json')],
  ];
  const proxy = await startChild(
    process.execPath,
    [...tsx, libPath('proxy-main.ts'), ...args],
    (line) => line.msg === 'proxy ready',
  );
  await routeEverythingTo(socketPath, `127.0.0.1:${upstreamPort}`);
  const httpPort = Number((proxy.ready.httpAddress as { port: number }).port);
  return { proxy, socketPath, httpPort, httpsPort, workers };
}

/** wrk over HTTP/1.1, or h2load over HTTP/2. */
type LoadRunner = (url: string, options: LoadOptions) => Promise<LoadResult>;

/** Every target warmed up, then `roundCount` rounds in which each target takes its turn. */
async function measureRounds(
  targets: Target[],
  runLoad: LoadRunner = runWrk,
): Promise<TargetRounds[]> {
  const measured = targets.map(({ name }) => ({ name, rounds: [] as RoundResult[] }));
  for (const target of targets) await runLoad(target.url, { ...load, durationSeconds: 2 });
  for (let round = 1; round <= roundCount; round += 1) {
    process.stderr.write(`round ${round} of ${roundCount}…\n`);
    for (const [index, target] of targets.entries()) {
      measured[index]?.rounds.push(await measure(target, runLoad));
    }
  }
  return measured;
}

async function measure(target: Target, runLoad: LoadRunner): Promise<RoundResult> {
  const cpuBeforeMs = await processTreeCpuMs(target.pid);
  const result = await runLoad(target.url, load);
  const cpuMs = (await processTreeCpuMs(target.pid)) - cpuBeforeMs;
  const requests = result.requestsPerSecond * load.durationSeconds;
  return { result, cpuMicrosPerRequest: (cpuMs * 1000) / requests };
}

await main();
