// bench/fleet: seconds from `berth deploy`'s upload to every agent having received the release,
// for 1, 10 and 100 pollers, and the controller's memory per held long-poll. The pollers are the
// agent's own ControllerLink (same TLS pinning, tokens and long-poll as `berth-agent run`), one
// TLS connection each, in this process; the controller is a real `berth controller run`.
// Run: npm run bench:fleet   (BENCH_FLEET_SIZES=1,10,100,1000 to change the sizes)
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControllerLink } from '../agent/puller/controller-link.ts';
import { callController } from '../agent/puller/controller-call.ts';
import { ControllerClient } from '../controller/client/controller-client.ts';
import { loadPrivateKey } from '../controller/keys/key-store.ts';
import {
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  type KeyPair,
} from '../shared/keys/index.ts';
import { signRelease } from '../shared/manifest/signing.ts';
import { MANIFEST_SCHEMA_VERSION, type ReleaseManifestInput } from '../shared/manifest/schema.ts';
import { pinnedAgent } from '../shared/tls/pinned-agent.ts';
import { TestController } from '../test/helpers/test-controller.ts';
import { freePort, TestApp } from '../test/helpers/test-fleet.ts';

const sizes = (process.env.BENCH_FLEET_SIZES ?? '1,10,100').split(',').map(Number);

async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}

const root = await mkdtemp(join(tmpdir(), 'berth-bench-fleet-'));
const app = new TestApp(join(root, 'app'));
await mkdir(app.dir, { recursive: true });
const keys = await app.publicKeys();
const controller = new TestController(join(root, 'controller'), await freePort());
await controller.init(app, keys);
await controller.start();
const pid = controller.process?.pid ?? 0;
const operator = await loadPrivateKey(app.env, 'operator');
const releaseKey = await loadPrivateKey(app.env, 'release');
const client = new ControllerClient(
  { url: controller.url, fingerprint: controller.fingerprint },
  { ...operator, subject: 'bench' },
);
const identity = await client.identity();
const rows: string[] = [];
try {
  for (const [round, size] of sizes.entries()) {
    const names = Array.from({ length: size }, (_, i) => `r${round}-h${i}`);
    const joinDispatcher = pinnedAgent(controller.fingerprint);
    const signingKeys = new Map<string, KeyPair>();
    for (const name of names) {
      const { secret } = await client.addHost(name);
      const signing = await generateSigningKey();
      const encryption = await generateEncryptionKey();
      signingKeys.set(name, signing);
      await callController(controller.url, joinDispatcher, {
        method: 'POST',
        path: '/v1/join',
        body: {
          secret,
          name,
          signingPublicKey: formatPublicKey(signing.publicJwk),
          encryptionPublicKey: formatPublicKey(encryption.publicJwk),
        },
        timeoutMs: 10_000,
      });
    }
    await joinDispatcher.close();

    await sleep(500);
    const idleRssKiB = await rssKiB(pid);
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const receivedAt = new Map<string, number>();
    const links = names.map(
      (name) =>
        new ControllerLink({
          url: controller.url,
          fingerprint: controller.fingerprint,
          controllerName: identity.name,
          hostName: name,
          signingKey: signingKeys.get(name) as KeyPair,
          now: () => new Date(),
        }),
    );
    const polls = links.map(async (link, i) => {
      const name = names[i] ?? '';
      while (!abort.signal.aborted && !receivedAt.has(name)) {
        const releases = await link.pollReleases({}, 30_000, abort.signal).catch(() => []);
        if (releases.length) receivedAt.set(name, performance.now());
      }
    });
    await sleep(1000 + size * 5);
    const heldRssKiB = await rssKiB(pid);

    const now = Date.now();
    const manifest: ReleaseManifestInput = {
      schema: MANIFEST_SCHEMA_VERSION,
      fleet: identity.fleet,
      service: `bench${round}`,
      sequence: now,
      version: 'v1',
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
      image: `127.0.0.1:5000/bench@sha256:${'a'.repeat(64)}`,
      roles: { web: { hosts: names, proxy: { appPort: 3000 } } },
    };
    const jws = await signRelease(manifest, releaseKey);
    const uploadAt = performance.now();
    await client.publish(jws);
    while (receivedAt.size < size && performance.now() - uploadAt < 60_000) await sleep(5);
    const latenciesMs = [...receivedAt.values()].map((t) => t - uploadAt);
    abort.abort();
    await Promise.all(polls);
    await Promise.all(links.map((link) => link.close()));

    const perPollKiB = (heldRssKiB - idleRssKiB) / size;
    rows.push(
      [
        String(size).padStart(6),
        `${receivedAt.size}/${size}`.padStart(9),
        (percentile(latenciesMs, 0.5) / 1000).toFixed(3).padStart(10),
        (Math.max(...latenciesMs) / 1000).toFixed(3).padStart(10),
        String(idleRssKiB).padStart(12),
        String(heldRssKiB).padStart(12),
        perPollKiB.toFixed(1).padStart(12),
      ].join('  '),
    );
  }
} finally {
  await client.close();
  await controller.stop('SIGTERM');
  await rm(root, { recursive: true, force: true });
}

process.stdout.write(
  `bench/fleet  ${new Date().toISOString()}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  node ${process.version}\n`,
);
process.stdout.write(
  "pollers: the agent's ControllerLink, one pinned TLS connection each, long-poll 30 s\n\n",
);
process.stdout.write(
  `${['pollers', 'received', 'median s', 'all s', 'idle RSS KiB', 'held RSS KiB', 'KiB / poll'].map((h, i) => h.padStart([6, 9, 10, 10, 12, 12, 12][i] ?? 8)).join('  ')}\n`,
);
for (const row of rows) process.stdout.write(`${row}\n`);
