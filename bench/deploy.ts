// bench/deploy: seconds from `berth deploy` to the new version serving through the proxy, with the
// image already on the host (cached), median of 10. Also the time until `berth deploy` returns
// (includes draining and stopping the old container). Run: npm run bench:deploy
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDockerd } from '../test/helpers/docker-daemon.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { buildDemoImages, DEMO_APP_PORT } from '../test/helpers/demo-image.ts';
import { createFleet } from '../test/helpers/test-fleet.ts';
import { getText } from '../test/helpers/load.ts';

const runs = Number(process.env.BENCH_RUNS ?? 10);

function summary(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `median ${at(0.5).toFixed(2)} s  min ${at(0).toFixed(2)} s  p90 ${at(0.9).toFixed(2)} s  max ${at(1).toFixed(2)} s`;
}

await ensureDockerd();
const registry = await startRegistry();
const images = await buildDemoImages(registry.address, [{ version: 'v1' }, { version: 'v2' }]);
const fleet = await createFleet({ service: 'benchdeploy' });
const host = fleet.hosts[0];
if (!host) throw new Error('no host');
try {
  await fleet.app.writeConfig({
    service: 'benchdeploy',
    image: images.v1.repository,
    servers: { web: [host.name] },
    proxy: { app_port: DEMO_APP_PORT },
  });
  for (const version of ['v1', 'v2']) {
    const warm = await fleet.app.berth('deploy', '--version', version);
    if (warm.code !== 0) throw new Error(warm.stderr);
  }
  const serving: number[] = [];
  const returned: number[] = [];
  for (let i = 0; i < runs; i++) {
    const version = i % 2 === 0 ? 'v1' : 'v2';
    const startedAt = performance.now();
    let servingAt = 0;
    const deploy = fleet.app.berth('deploy', '--version', version).then((r) => {
      if (r.code !== 0) throw new Error(r.stderr);
      return performance.now();
    });
    while (!servingAt) {
      const answer = await getText(`${host.proxyUrl}/version`);
      if (answer.body === version) servingAt = performance.now();
      else await sleep(5);
    }
    const returnedAt = await deploy;
    serving.push((servingAt - startedAt) / 1000);
    returned.push((returnedAt - startedAt) / 1000);
    process.stdout.write(
      `run ${i + 1}: serving ${version} after ${serving.at(-1)?.toFixed(2)} s, berth deploy returned after ${returned.at(-1)?.toFixed(2)} s\n`,
    );
  }
  process.stdout.write(
    `\nbench/deploy  ${new Date().toISOString()}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  node ${process.version}\n`,
  );
  process.stdout.write(`cached image, default health check (interval 1 s), ${runs} runs\n`);
  process.stdout.write(`new version serving: ${summary(serving)}\n`);
  process.stdout.write(`berth deploy exits:  ${summary(returned)}\n`);
} finally {
  await fleet.destroy();
  await registry.stop();
}
