import { describe, expect, it } from 'vitest';
import {
  containerSpecFor,
  labelsForService,
  parseReleaseLabels,
} from '../../../agent/docker/container-spec.ts';
import { BerthError } from '../../../shared/errors.ts';
import { FIXTURE_IMAGE, releaseManifestFixture } from '../../fixtures/release-manifest.ts';

const secretEnv = {
  DATABASE_URL: 'postgres://shop:hunter2@db/shop',
  SMTP_PASSWORD: 'mail-secret',
  UNUSED: 'x',
};

describe('containerSpecFor', () => {
  it('runs a web role with the image default command, service then role env, and its secrets', () => {
    const manifest = releaseManifestFixture();

    expect(
      containerSpecFor({ manifest, role: 'web', host: 'app-1', secretEnv, network: 'berth' }),
    ).toStrictEqual({
      name: 'shop-web-v1.4.2-app-1-42',
      image: FIXTURE_IMAGE,
      env: {
        RAILS_ENV: 'production',
        QUEUE: 'none',
        WEB_CONCURRENCY: '2',
        DATABASE_URL: 'postgres://shop:hunter2@db/shop',
        BERTH_SERVICE: 'shop',
        BERTH_ROLE: 'web',
        BERTH_VERSION: 'v1.4.2',
        BERTH_HOST: 'app-1',
        BERTH_CONTAINER_NAME: 'shop-web-v1.4.2-app-1-42',
      },
      labels: {
        team: 'checkout',
        'berth.managed': 'true',
        'berth.fleet': 'production',
        'berth.service': 'shop',
        'berth.role': 'web',
        'berth.version': 'v1.4.2',
        'berth.sequence': '42',
        'berth.agent': 'app-1',
      },
      network: 'berth',
      volumes: ['shop-storage:/app/storage'],
      stopTimeoutSeconds: 10,
      restartPolicy: 'no',
      logMaxSize: '10m',
    });
  });

  it('runs a job role with its command, its env over the service env, and a stop timeout rounded up', () => {
    const manifest = releaseManifestFixture();

    expect(
      containerSpecFor({ manifest, role: 'jobs', host: 'app-1', secretEnv, network: 'berth' }),
    ).toStrictEqual({
      name: 'shop-jobs-v1.4.2-app-1-42',
      image: FIXTURE_IMAGE,
      cmd: ['bin/jobs', '--queue', 'default'],
      env: {
        RAILS_ENV: 'production',
        QUEUE: 'default',
        DATABASE_URL: 'postgres://shop:hunter2@db/shop',
        SMTP_PASSWORD: 'mail-secret',
        BERTH_SERVICE: 'shop',
        BERTH_ROLE: 'jobs',
        BERTH_VERSION: 'v1.4.2',
        BERTH_HOST: 'app-1',
        BERTH_CONTAINER_NAME: 'shop-jobs-v1.4.2-app-1-42',
      },
      labels: {
        team: 'checkout',
        'berth.managed': 'true',
        'berth.fleet': 'production',
        'berth.service': 'shop',
        'berth.role': 'jobs',
        'berth.version': 'v1.4.2',
        'berth.sequence': '42',
        'berth.agent': 'app-1',
      },
      network: 'berth',
      volumes: ['shop-storage:/app/storage'],
      stopTimeoutSeconds: 3,
      restartPolicy: 'no',
      logMaxSize: '10m',
    });
  });

  it('passes only the secrets the role names, and leaves out a named secret that was not opened', () => {
    const manifest = releaseManifestFixture();

    const spec = containerSpecFor({
      manifest,
      role: 'jobs',
      host: 'app-1',
      secretEnv: { DATABASE_URL: 'db', UNUSED: 'x' },
      network: 'berth',
    });

    expect(Object.keys(spec.env).filter((name) => !name.startsWith('BERTH_'))).toStrictEqual([
      'RAILS_ENV',
      'QUEUE',
      'DATABASE_URL',
    ]);
  });

  it("never lets the manifest's env or labels override Berth's own", () => {
    const manifest = releaseManifestFixture({
      env: { BERTH_ROLE: 'admin', BERTH_HOST: 'elsewhere' },
      labels: {
        'berth.service': 'billing',
        'berth.managed': 'false',
        'berth.sequence': '999',
        tier: 'gold',
      },
    });

    const spec = containerSpecFor({
      manifest,
      role: 'web',
      host: 'app-2',
      secretEnv,
      network: 'berth',
    });

    expect(spec.env).toMatchObject({ BERTH_ROLE: 'web', BERTH_HOST: 'app-2' });
    expect(spec.labels).toStrictEqual({
      tier: 'gold',
      'berth.managed': 'true',
      'berth.fleet': 'production',
      'berth.service': 'shop',
      'berth.role': 'web',
      'berth.version': 'v1.4.2',
      'berth.sequence': '42',
      'berth.agent': 'app-2',
    });
  });

  it('names the container from a version cut to 40 characters Docker accepts, keeping the label verbatim', () => {
    const version = 'feature/checkout+build 7 ünïcode-0123456789abcdef0123456789';
    const manifest = releaseManifestFixture({ version, sequence: 7 });

    const spec = containerSpecFor({
      manifest,
      role: 'web',
      host: 'app-1',
      secretEnv,
      network: 'berth',
    });

    expect(spec.name).toBe('shop-web-feature-checkout-build-7--n-code-0123456-app-1-7');
    expect(spec.labels['berth.version']).toBe(version);
    expect(spec.env.BERTH_VERSION).toBe(version);
  });

  it('refuses a role the release does not have', () => {
    const manifest = releaseManifestFixture();

    expect(() =>
      containerSpecFor({ manifest, role: 'worker', host: 'app-1', secretEnv, network: 'berth' }),
    ).toThrow(new BerthError('MANIFEST_INVALID', 'Release 42 of shop has no role "worker".'));
  });
});

describe('labelsForService', () => {
  it('selects every Berth container of one service in one fleet', () => {
    expect(labelsForService('production', 'shop')).toStrictEqual({
      'berth.managed': 'true',
      'berth.fleet': 'production',
      'berth.service': 'shop',
    });
  });
});

describe('parseReleaseLabels', () => {
  const labels = containerSpecFor({
    manifest: releaseManifestFixture(),
    role: 'web',
    host: 'app-1',
    secretEnv,
    network: 'berth',
  }).labels;

  it('reads back the release a container belongs to', () => {
    expect(parseReleaseLabels(labels)).toStrictEqual({
      service: 'shop',
      role: 'web',
      version: 'v1.4.2',
      sequence: 42,
    });
  });

  it.each([
    ['not managed by Berth', { ...labels, 'berth.managed': 'false' }],
    ['without a role', { ...labels, 'berth.role': undefined }],
    ['with a sequence that is not a positive integer', { ...labels, 'berth.sequence': '4.2' }],
    ['with a zero sequence', { ...labels, 'berth.sequence': '0' }],
    ['with an empty sequence', { ...labels, 'berth.sequence': '' }],
  ])('answers null for a container %s', (_case, variant) => {
    const defined = Object.fromEntries(
      Object.entries(variant).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    expect(parseReleaseLabels(defined)).toBeNull();
  });
});
