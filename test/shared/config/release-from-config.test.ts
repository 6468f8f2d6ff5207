import { describe, expect, it } from 'vitest';
import {
  deployConfigSchema,
  type DeployConfigInput,
} from '../../../shared/config/deploy-config.ts';
import {
  buildReleaseManifest,
  buildRoleManifests,
  secretNamesOf,
} from '../../../shared/config/release-from-config.ts';
import { generateSigningKey } from '../../../shared/keys/index.ts';
import { signRelease, verifyReleaseSignature } from '../../../shared/manifest/signing.ts';
import { thrown } from '../berth-error.ts';
import { DIGEST } from '../manifest/manifest-fixture.ts';

const config = (input: DeployConfigInput) => deployConfigSchema.parse(input);
const base = { service: 'demo', image: 'registry.example.com/acme/demo' };
const defaultProxy = {
  hosts: [],
  pathPrefix: '/',
  stripPathPrefix: true,
  appPort: 80,
  healthCheck: { path: '/up', intervalMs: 1000, timeoutMs: 5000 },
  responseTimeoutMs: 30000,
};

describe('buildRoleManifests', () => {
  it('turns a plain server list into a proxied web role with every default', () => {
    expect(buildRoleManifests(config({ ...base, servers: ['app-1', 'app-2'] }))).toEqual({
      roles: {
        web: {
          hosts: ['app-1', 'app-2'],
          proxy: defaultProxy,
          env: {},
          secretEnv: [],
          stopTimeoutMs: 10000,
        },
      },
      env: {},
      volumes: [],
      labels: {},
      deployTimeoutMs: 30000,
      drainTimeoutMs: 30000,
      retainReleases: 5,
    });
  });

  it('merges role proxy maps over the root proxy, keeps other roles off the proxy, and converts seconds', () => {
    const fields = buildRoleManifests(
      config({
        ...base,
        servers: {
          web: { hosts: ['app-1'], proxy: { path_prefix: '/app', healthcheck: { interval: 0.2 } } },
          jobs: {
            hosts: ['worker-1'],
            cmd: ['bin/jobs', '--queue', 'mail'],
            env: { clear: { QUEUE: 'mail' }, secret: ['SMTP_PASSWORD'] },
          },
        },
        proxy: {
          host: 'app.example.com',
          app_port: 3000,
          healthcheck: { path: '/health', timeout: 2 },
          response_timeout: 12.5,
        },
        env: { clear: { RAILS_ENV: 'production' }, secret: ['DATABASE_URL'] },
        volumes: ['data:/data'],
        labels: { team: 'web' },
        deploy_timeout: 45,
        drain_timeout: 7,
        retain_containers: 3,
      }),
    );
    expect(fields).toEqual({
      roles: {
        web: {
          hosts: ['app-1'],
          proxy: {
            hosts: ['app.example.com'],
            pathPrefix: '/app',
            stripPathPrefix: true,
            appPort: 3000,
            healthCheck: { path: '/health', intervalMs: 200, timeoutMs: 2000 },
            responseTimeoutMs: 12500,
          },
          env: {},
          secretEnv: ['DATABASE_URL'],
          stopTimeoutMs: 10000,
        },
        jobs: {
          hosts: ['worker-1'],
          cmd: ['bin/jobs', '--queue', 'mail'],
          proxy: null,
          env: { QUEUE: 'mail' },
          secretEnv: ['DATABASE_URL', 'SMTP_PASSWORD'],
          stopTimeoutMs: 7000,
        },
      },
      env: { RAILS_ENV: 'production' },
      volumes: ['data:/data'],
      labels: { team: 'web' },
      deployTimeoutMs: 45000,
      drainTimeoutMs: 7000,
      retainReleases: 3,
    });
  });

  it('lets a role opt in or out of the proxy, with its own hosts and stop timeout', () => {
    const { roles } = buildRoleManifests(
      config({
        ...base,
        servers: {
          web: { hosts: ['app-1'], proxy: false, stop_timeout: 3 },
          api: { hosts: ['app-2'], proxy: true },
          admin: {
            hosts: ['app-2'],
            proxy: { hosts: ['admin.example.com', '*.admin.example.com'] },
          },
        },
        proxy: { hosts: ['example.com'] },
        drain_timeout: 0,
      }),
    );
    expect(roles.web).toMatchObject({ proxy: null, stopTimeoutMs: 3000 });
    expect(roles.api?.proxy).toEqual({ ...defaultProxy, hosts: ['example.com'] });
    expect(roles.admin?.proxy?.hosts).toEqual(['admin.example.com', '*.admin.example.com']);
  });
});

describe('secretNamesOf', () => {
  it('lists every secret name once, root first', () => {
    const names = secretNamesOf(
      config({
        ...base,
        servers: {
          web: { hosts: ['a'], env: { secret: ['B', 'A'] } },
          jobs: { hosts: ['b'], env: { secret: ['C', 'A'] } },
        },
        env: { secret: ['A'] },
      }),
    );
    expect(names).toEqual(['A', 'B', 'C']);
  });
});

describe('buildReleaseManifest', () => {
  const stamp = {
    sequence: 42,
    version: 'abc123',
    image: `registry.example.com/acme/demo@${DIGEST}`,
    secrets: {},
    issuedAt: new Date('2026-01-01T00:00:00.000Z'),
    issuedBy: 'alice@laptop',
  };

  it('adds fleet, dates (issuedAt + release_ttl) and the stamp to the config fields', () => {
    const manifest = buildReleaseManifest(
      config({ ...base, servers: ['a'], fleet: 'prod', release_ttl: 900 }),
      stamp,
    );
    expect(manifest).toMatchObject({
      schema: 1,
      fleet: 'prod',
      service: 'demo',
      sequence: 42,
      issuedAt: '2026-01-01T00:00:00.000Z',
      expiresAt: '2026-01-01T00:15:00.000Z',
      issuedBy: 'alice@laptop',
      image: stamp.image,
    });
  });

  it('refuses an image that is not pinned', () => {
    const error = thrown(() =>
      buildReleaseManifest(config({ ...base, servers: ['a'] }), {
        ...stamp,
        image: 'registry.example.com/acme/demo:v1',
      }),
    );
    expect(error.code).toBe('MANIFEST_INVALID');
    expect(error.message).toContain('  image: ');
  });

  it('signs and verifies unchanged', async () => {
    const key = await generateSigningKey();
    const manifest = buildReleaseManifest(config({ ...base, servers: ['a'] }), stamp);
    const trusted = [{ kid: key.kid, jwk: key.publicJwk }];
    expect(await verifyReleaseSignature(await signRelease(manifest, key), trusted)).toEqual(
      manifest,
    );
  });
});
