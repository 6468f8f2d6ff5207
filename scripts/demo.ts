// `npm run demo`: the README's first command. Deploys the bundled example app on this machine
// the way a user would — keys, agent, hosts add, deploy v1, deploy v2 under load, rollback — and
// exits non-zero if any step fails or any request is lost.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'undici';
import { buildBundle } from './bundle/build.ts';
import { agentConfigPath, loadAgentConfig } from '../shared/config/agent-config.ts';
import { fingerprintOfPem } from '../shared/tls/self-signed-certificate.ts';
import { pinnedAgent } from '../shared/tls/pinned-agent.ts';
import { UnitProcess } from '../test/install/unit-process.ts';
import { waitFor } from '../test/helpers/wait-for.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runBerth } from '../controller/berth-cli.ts';
import { processOutput } from '../shared/cli/run-cli.ts';
import { ensureDockerd } from '../test/helpers/docker-daemon.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { buildDemoImages, DEMO_APP_PORT, removeDemoImageRefs } from '../test/helpers/demo-image.ts';
import { freePort, TestHost } from '../test/helpers/test-fleet.ts';
import { getText, startLoad } from '../test/helpers/load.ts';

const root = fileURLToPath(new URL('../.berth-demo/', import.meta.url));
const appDir = join(root, 'app');
const env = {
  ...process.env,
  BERTH_KEYS_DIR: join(root, 'keys'),
  BERTH_OPERATOR: 'demo@localhost',
};
const keep = process.env.BERTH_DEMO_KEEP === '1';

const repoDir = fileURLToPath(new URL('../', import.meta.url));

/** `sh install.sh ARGS`, output shown; fails on a non-zero exit. */
function installScript(...args: string[]): Promise<void> {
  process.stdout.write(`$ sh install.sh ${args.join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [join(repoDir, 'install.sh'), ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`install.sh exited ${code}`)),
    );
  });
}

async function getAgentHealth(host: TestHost): Promise<boolean> {
  const dispatcher = pinnedAgent(host.fingerprint);
  try {
    const response = await request(`${host.url}/v1/health`, { dispatcher });
    await response.body.dump();
    return response.statusCode === 200;
  } finally {
    await dispatcher.close();
  }
}

function step(title: string): void {
  process.stdout.write(`\n\u001b[1m==> ${title}\u001b[22m\n`);
}

async function berth(...argv: string[]): Promise<string> {
  process.stdout.write(`$ berth ${argv.join(' ')}\n`);
  let captured = '';
  const code = await runBerth(argv, {
    cwd: appDir,
    env,
    output: {
      out: (text) => {
        captured += text;
        processOutput.out(text);
      },
      err: processOutput.err,
    },
  });
  if (code !== 0) throw new Error(`berth ${argv.join(' ')} exited ${code}`);
  return captured;
}

step('Docker engine and a local registry');
await ensureDockerd();
const registry = await startRegistry();
process.stdout.write(`registry on ${registry.address}\n`);
const images = await buildDemoImages(registry.address, [{ version: 'v1' }, { version: 'v2' }]);
process.stdout.write(`built and pushed ${images.v1.repository}:v1 and :v2\n`);
// Forget the pushed references locally, so the agent really pulls by digest as on a server.
await removeDemoImageRefs(Object.values(images));

await rm(root, { recursive: true, force: true });
await mkdir(appDir, { recursive: true });
const serverRoot = join(root, 'server');
const dataDir = join(serverRoot, 'var/lib/berth');
const unitPath = (name: string): string => join(serverRoot, 'etc/systemd/system', name);
const host = new TestHost('web-1', dataDir, await freePort(), await freePort(), 'berth-demo');
const units: UnitProcess[] = [];
let exitCode = 0;
try {
  step('Keys (on your laptop)');
  const keys = await berth('keys', 'generate');
  const releaseKey = /release key:\s+(\S+)/.exec(keys)?.[1] ?? '';
  const operatorKey = /operator key:\s+(\S+)/.exec(keys)?.[1] ?? '';

  step('Agent (on the server): the install script, with the agent bundle');
  const bundle = await buildBundle({ repoDir, outDir: join(root, 'bundles') });
  process.stdout.write(`built ${bundle.path} (${(bundle.bytes / 1024 / 1024).toFixed(1)} MiB)\n`);
  // --root keeps this demo's "server" inside .berth-demo/, so nothing on this machine is touched.
  await installScript(
    ...['--root', serverRoot, '--bundle', bundle.path, '--name', host.name, '--skip-docker'],
    ...['--trust-release-key', releaseKey, '--trust-operator-key', operatorKey],
    ...['--api-host', '127.0.0.1', '--api-port', String(host.apiPort)],
    ...['--http-port', String(host.httpPort), '--docker-network', host.network],
  );
  const agentConfig = await loadAgentConfig(agentConfigPath(dataDir));
  host.fingerprint = fingerprintOfPem(await readFile(agentConfig.tls.certPath, 'utf8'));
  process.stdout.write('starting berth-proxy and berth-agent exactly as their systemd units say\n');
  for (const [unit, ready] of [
    ['berth-proxy.service', () => host.proxy().health()],
    ['berth-agent.service', () => getAgentHealth(host)],
  ] as const) {
    const process_ = await UnitProcess.fromUnit(
      serverRoot,
      unitPath(unit),
      join(root, `${unit}.log`),
    );
    process_.start();
    units.push(process_);
    await waitFor(unit, async () => {
      if (process_.hasExited) throw new Error(`${unit} exited:\n${await process_.log()}`);
      return (await ready()) ? true : undefined;
    });
  }

  step('Register the host and configure the app');
  await berth('hosts', 'add', host.name, '--url', host.url, '--fingerprint', host.fingerprint);
  const config = {
    service: 'demo',
    image: images.v1.repository,
    servers: { web: [host.name] },
    proxy: { app_port: DEMO_APP_PORT, healthcheck: { path: '/up', interval: 1, timeout: 2 } },
    env: { clear: { GREETING: 'hello' } },
    drain_timeout: 10,
  };
  await mkdir(join(appDir, 'config'), { recursive: true });
  await writeFile(join(appDir, 'config', 'deploy.yml'), stringify(config));
  process.stdout.write(`config/deploy.yml:\n${stringify(config).replace(/^/gm, '  ')}`);

  step('Deploy v1');
  await berth('deploy', '--version', 'v1');
  process.stdout.write(
    `GET ${host.proxyUrl}/version → ${(await getText(`${host.proxyUrl}/version`)).body}\n`,
  );

  step('Deploy v2 while 20 clients hammer the proxy');
  const load = startLoad(host.proxyUrl, { concurrency: 20 });
  await berth('deploy', '--version', 'v2');
  const report = await load.stop();
  process.stdout.write(
    `${report.total} requests during the deploy, ${report.failed} failed; answers: ${JSON.stringify(report.answers)}\n`,
  );
  if (report.failed > 0)
    throw new Error(`requests failed during the deploy: ${report.failures.join('; ')}`);
  process.stdout.write(
    `GET ${host.proxyUrl}/version → ${(await getText(`${host.proxyUrl}/version`)).body}\n`,
  );

  step('Roll back to v1 (no pull)');
  await berth('rollback');
  process.stdout.write(
    `GET ${host.proxyUrl}/version → ${(await getText(`${host.proxyUrl}/version`)).body}\n`,
  );

  step('Status and history');
  await berth('status');
  await berth('releases');
  process.stdout.write(
    '\n\u001b[32mDemo finished: zero-downtime deploy, rollback, 0 failed requests.\u001b[39m\n',
  );
} catch (error) {
  process.stderr.write(`\u001b[31mDemo failed: ${(error as Error).message}\u001b[39m\n`);
  process.stderr.write(`agent log: ${host.dataDir}/agent.log\n`);
  exitCode = 1;
} finally {
  if (keep) {
    process.stdout.write(
      `BERTH_DEMO_KEEP=1: agent and proxy left running (${host.proxyUrl}); files in ${root}\n`,
    );
  } else {
    for (const unit of units.reverse()) await unit.stop();
    await host.destroy(['demo']);
    await installScript('--root', serverRoot, '--uninstall', '--purge').catch(() => undefined);
    await registry.stop();
  }
}
process.exit(exitCode);
