import { afterAll, beforeAll, expect, inject } from 'vitest';
import { AgentClient } from '../../controller/client/agent-client.ts';
import { loadPrivateKey } from '../../controller/keys/key-store.ts';
import { demoConfig } from './demo-config.ts';
import { createFleet, type TestApp, type TestHost } from './test-fleet.ts';

type Fleet = Awaited<ReturnType<typeof createFleet>>;
type DemoImages = ReturnType<typeof inject<'demoImages'>>;

export interface FleetSuite {
  fleet: Fleet;
  app: TestApp;
  /** The first (usually only) host. */
  host: TestHost;
  images: DemoImages;
}

/**
 * Registers beforeAll/afterAll for a describe block: a fleet of real agents for `service`,
 * the demo app's config/deploy.yml, and the given versions deployed in order.
 */
export function fleetSuite(
  service: string,
  options: {
    hosts?: number;
    deploy?: string[];
    config?: (base: Record<string, unknown>, hostNames: string[]) => Record<string, unknown>;
    deployTimeout?: number;
    drainTimeout?: number;
  } = {},
): FleetSuite {
  const suite = { images: inject('demoImages') } as FleetSuite;
  beforeAll(async () => {
    suite.fleet = await createFleet({ service, hosts: options.hosts });
    suite.app = suite.fleet.app;
    suite.host = suite.fleet.hosts[0] as TestHost;
    const hostNames = suite.fleet.hosts.map((h) => h.name);
    const base = demoConfig({
      service,
      repository: suite.images.v1.repository,
      hosts: hostNames,
      deployTimeout: options.deployTimeout,
      drainTimeout: options.drainTimeout,
    });
    await suite.app.writeConfig(options.config ? options.config(base, hostNames) : base);
    for (const version of options.deploy ?? []) {
      const result = await suite.app.berth('deploy', '--version', version);
      expect(result.code, result.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await suite.fleet?.destroy();
  });
  return suite;
}

/** An API client for `host` that signs tokens with the app's operator key, as `berth` does. */
export async function operatorClient(
  app: TestApp,
  host: TestHost,
  subject = 'test',
): Promise<AgentClient> {
  const operator = await loadPrivateKey(app.env, 'operator');
  return new AgentClient(
    host.name,
    { url: host.url, fingerprint: host.fingerprint },
    { ...operator, subject },
  );
}
