import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAgentCli } from '../../agent/commands/agent-cli.ts';
import { agentConfigPath, loadAgentConfig } from '../../shared/config/agent-config.ts';
import { fingerprintOfPem } from '../../shared/tls/self-signed-certificate.ts';
import { TestController } from './test-controller.ts';
import { freePort, TestApp, TestHost } from './test-fleet.ts';

export interface PullFleet {
  app: TestApp;
  controller: TestController;
  hosts: TestHost[];
  root: string;
  /** `berth hosts add NAME` → the join token it printed. */
  issueToken(name: string): Promise<string>;
  /** `berth-agent join TOKEN` for `host`, returning the exit code and output. */
  join(host: TestHost, token: string): Promise<{ code: number; output: string }>;
  destroy(): Promise<void>;
}

/**
 * Pull mode on one machine: a real controller process and `count` agents that joined it with
 * one-time tokens and dial out to it. Each agent has its own data dir, ports, proxy and network.
 */
export async function createPullFleet(options: {
  service: string;
  hosts: number;
}): Promise<PullFleet> {
  const root = await mkdtemp(join(tmpdir(), 'berth-pull-'));
  const app = new TestApp(join(root, 'app'));
  await mkdir(app.dir, { recursive: true });
  const keys = await app.publicKeys();
  const controller = new TestController(join(root, 'controller'), await freePort());
  await controller.init(app, keys);
  await controller.tune({ longPollMaxMs: 3_000, staleAfterMs: 10_000 });
  await controller.start();
  await app.writeConfig({
    service: options.service,
    image: 'placeholder/replaced-by-test',
    servers: { web: ['web-1'] },
    controller: { url: controller.url, fingerprint: controller.fingerprint },
  });

  const fleet: PullFleet = {
    app,
    controller,
    hosts: [],
    root,
    async issueToken(name) {
      const result = await app.berth('hosts', 'add', name);
      const token = /(berth-join-1\.\S+)/.exec(result.stdout)?.[1];
      if (result.code !== 0 || !token)
        throw new Error(`hosts add ${name} failed:\n${result.stderr}${result.stdout}`);
      return token;
    },
    async join(host, token) {
      let output = '';
      const code = await runAgentCli(
        [
          'join',
          token,
          ...['--data-dir', host.dataDir, '--api-port', String(host.apiPort)],
          ...[
            '--http-port',
            String(host.httpPort),
            '--https-port',
            '0',
            '--docker-network',
            host.network,
          ],
        ],
        { out: (t) => void (output += t), err: (t) => void (output += t) },
      );
      if (code === 0) {
        const config = await loadAgentConfig(agentConfigPath(host.dataDir));
        host.fingerprint = fingerprintOfPem(await readFile(config.tls.certPath, 'utf8'));
      }
      return { code, output };
    },
    async destroy() {
      for (const host of fleet.hosts) await host.destroy([options.service]);
      await controller.stop('SIGKILL');
      if (!process.env.BERTH_KEEP_TEST_DIRS && existsSync(root))
        await rm(root, { recursive: true, force: true });
    },
  };
  for (let i = 1; i <= options.hosts; i++) {
    const host = new TestHost(
      `web-${i}`,
      join(root, `agent-${i}`),
      await freePort(),
      await freePort(),
      `berth-pull-${options.service}-${i}`,
    );
    const joined = await fleet.join(host, await fleet.issueToken(host.name));
    if (joined.code !== 0) throw new Error(`berth-agent join failed:\n${joined.output}`);
    await host.start();
    fleet.hosts.push(host);
  }
  return fleet;
}
