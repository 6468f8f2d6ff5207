import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ContainerSpec, PullProgress } from '../../../agent/docker/container-engine.ts';
import { DockerodeEngine } from '../../../agent/docker/dockerode-engine.ts';
import { BerthError } from '../../../shared/errors.ts';
import {
  DEMO_APP_PORT,
  buildDemoImages,
  removeDemoImageRefs,
  type DemoImage,
} from '../../helpers/demo-image.ts';
import { docker, dockerQuietly } from '../../helpers/docker-cli.ts';

const registry = inject('registry');
const runId = randomUUID().slice(0, 8);
const network = `berth-test-${runId}`;
const runLabel = 'berth.test.run';
const engine = new DockerodeEngine();
const missingDigest = `sha256:${'0'.repeat(64)}`;

let image: DemoImage;

function specFor(role: string, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `berth-test-${runId}-${role}`,
    image: image.pinned,
    env: { GREETING: 'hello world', EMPTY: '' },
    labels: { [runLabel]: runId, 'berth.managed': 'true', 'berth.role': role },
    network,
    volumes: [],
    stopTimeoutSeconds: 5,
    restartPolicy: 'no',
    logMaxSize: '10m',
    ...overrides,
  };
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return await response.text();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function pullFailure(ref: string): Promise<BerthError> {
  const error: unknown = await engine.pullImage(ref).then(
    () => null,
    (failure: unknown) => failure,
  );
  if (!(error instanceof BerthError))
    throw new Error(`expected a BerthError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  // An image of its own, so removing it locally disturbs no other test.
  ({ 'engine-contract': image } = await buildDemoImages(registry, [
    { version: 'engine-contract' },
  ]));
  await removeDemoImageRefs([image]);
});

afterAll(async () => {
  const ids = await docker([
    'container',
    'ls',
    '--all',
    '--quiet',
    '--filter',
    `label=${runLabel}=${runId}`,
  ]);
  for (const id of ids.split('\n').filter((line) => line !== ''))
    await dockerQuietly(['container', 'rm', '--force', id]);
  await dockerQuietly(['network', 'rm', network]);
  if (image) await removeDemoImageRefs([image]);
});

describe('DockerodeEngine against the real engine', () => {
  let appId = '';

  it('answers a ping', async () => {
    await expect(engine.ping()).resolves.toBeUndefined();
  });

  it('pulls an image by digest from the registry, reporting progress', async () => {
    expect(await engine.hasImage(image.pinned)).toBe(false);
    const progress: PullProgress[] = [];

    await engine.pullImage(image.pinned, { onProgress: (event) => progress.push(event) });

    expect(await engine.hasImage(image.pinned)).toBe(true);
    expect(progress.map((event) => event.status)).toContain(`Digest: ${image.digest}`);
  });

  it("fails a pull of a digest the registry lacks with IMAGE_PULL_FAILED and the registry's words", async () => {
    const ref = `${image.repository}@${missingDigest}`;

    const error = await pullFailure(ref);

    expect(error.code).toBe('IMAGE_PULL_FAILED');
    expect(error.message).toBe(
      `Could not pull ${ref}: manifest for ${ref} not found: manifest unknown: manifest unknown`,
    );
  });

  it('fails a pull from a registry that does not answer with IMAGE_PULL_FAILED', async () => {
    const error = await pullFailure(`127.0.0.1:1/demo@${missingDigest}`);

    expect(error.code).toBe('IMAGE_PULL_FAILED');
    expect(error.message).toMatch(
      /^Could not pull 127\.0\.0\.1:1\/demo@sha256:0+: .*connection refused/,
    );
  });

  it("creates the network once, as a bridge labelled as Berth's", async () => {
    await engine.ensureNetwork(network);
    await engine.ensureNetwork(network);

    const inspected = JSON.parse(
      await docker(['network', 'inspect', '--format', '{{json .}}', network]),
    ) as {
      Driver: string;
      Labels: Record<string, string>;
    };
    expect(inspected).toMatchObject({ Driver: 'bridge', Labels: { 'berth.managed': 'true' } });
  });

  it('creates a container as the spec says, and returns the same id when asked again by name', async () => {
    appId = await engine.createContainer(specFor('app'));

    expect(await engine.createContainer(specFor('app'))).toBe(appId);
    const [inspected] = JSON.parse(await docker(['container', 'inspect', appId])) as [
      {
        HostConfig: { RestartPolicy: { Name: string }; LogConfig: unknown };
        Config: { StopTimeout: number; Env: string[] };
      },
    ];
    expect(inspected.HostConfig.RestartPolicy.Name).toBe('no');
    expect(inspected.HostConfig.LogConfig).toStrictEqual({
      Type: 'json-file',
      Config: { 'max-size': '10m' },
    });
    expect(inspected.Config.StopTimeout).toBe(5);
    expect(inspected.Config.Env).toEqual(
      expect.arrayContaining(['GREETING=hello world', 'EMPTY=', 'APP_VERSION=engine-contract']),
    );
  });

  it('starts it (twice without error); inspect gives its address on the network, where the app answers', async () => {
    await engine.startContainer(appId);
    await engine.startContainer(appId);

    const info = await engine.inspectContainer(appId, network);
    expect(info).toMatchObject({
      id: appId,
      name: specFor('app').name,
      image: image.pinned,
      state: 'running',
      health: null,
      exitCode: null,
      labels: expect.objectContaining({ [runLabel]: runId, 'berth.role': 'app' }),
    });
    expect(info?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await fetchText(`http://${info?.ipAddress}:${DEMO_APP_PORT}/version`, 10_000)).toBe(
      'engine-contract',
    );
  });

  it('reads the last log lines of both streams, oldest first', async () => {
    // Spaced out: the engine copies stdout and stderr concurrently, so only time orders them.
    const script = [
      "console.log('out 1');",
      "setTimeout(() => console.error('err 1'), 100);",
      "setTimeout(() => { console.log('out 2'); process.exitCode = 3; }, 200);",
    ].join(' ');
    const id = await engine.createContainer(
      specFor('chatty', { cmd: ['/usr/bin/node', '-e', script] }),
    );
    await engine.startContainer(id);
    await expect
      .poll(async () => (await engine.inspectContainer(id, network))?.state, { timeout: 10_000 })
      .toBe('exited');

    expect(await engine.containerLogs(id, 10)).toStrictEqual(['out 1', 'err 1', 'out 2']);
    expect(await engine.containerLogs(id, 1)).toStrictEqual(['out 2']);
    expect(await engine.inspectContainer(id, network)).toMatchObject({
      state: 'exited',
      exitCode: 3,
      ipAddress: null,
    });
    expect((await engine.containerLogs(appId, 10)).join('\n')).toContain('listening on port 3000');
  });

  it('lists containers by label, running or not, oldest first', async () => {
    const listed = await engine.listContainers({ [runLabel]: runId }, network);

    expect(listed.map((info) => [info.name, info.state])).toStrictEqual([
      [specFor('app').name, 'running'],
      [specFor('chatty').name, 'exited'],
    ]);
    expect(
      await engine.listContainers({ [runLabel]: runId, 'berth.role': 'chatty' }, network),
    ).toHaveLength(1);
    expect(await engine.listContainers({ [runLabel]: 'no-such-run' }, network)).toStrictEqual([]);
  });

  it('stops a container gracefully, and again without error', async () => {
    await engine.stopContainer(appId, 10);
    await engine.stopContainer(appId, 10);

    expect(await engine.inspectContainer(appId, network)).toMatchObject({
      state: 'exited',
      exitCode: 0,
      ipAddress: null,
    });
    expect(await engine.containerLogs(appId, 1)).toStrictEqual([
      expect.stringContaining('stopped'),
    ]);
  });

  it('removes a container, and again without error; it is then gone', async () => {
    await engine.removeContainer(appId);
    await engine.removeContainer(appId);

    expect(await engine.inspectContainer(appId, network)).toBeNull();
    expect(await engine.containerLogs(appId, 10)).toStrictEqual([]);
    await engine.stopContainer(appId, 1);
  });

  it('fails with CONTAINER_FAILED to create from an image that is not there, or to start what is not there', async () => {
    const ref = `${image.repository}@${missingDigest}`;

    await expect(engine.createContainer(specFor('orphan', { image: ref }))).rejects.toThrow(
      new BerthError(
        'CONTAINER_FAILED',
        `Could not create container ${specFor('orphan').name} from ${ref}: No such image: ${ref}`,
      ),
    );
    await expect(engine.startContainer(appId)).rejects.toMatchObject({ code: 'CONTAINER_FAILED' });
  });

  it('removes an image, and again without error', async () => {
    await engine.removeImage(image.pinned);
    await engine.removeImage(image.pinned);

    expect(await engine.hasImage(image.pinned)).toBe(false);
  });
});
