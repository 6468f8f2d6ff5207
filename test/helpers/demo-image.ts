import { execFile } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { docker, dockerQuietly } from './docker-cli.ts';

/** A demo app image pushed to the test registry. */
export interface DemoImage {
  version: string;
  /** `127.0.0.1:PORT/demo` */
  repository: string;
  tag: string;
  digest: string;
  /** `repository@sha256:…`, what a release manifest names. */
  pinned: string;
}

export interface DemoImageRequest<V extends string = string> {
  version: V;
  /** Sets FAIL_HEALTH=1 in the image, so `/up` answers 500 from the start. */
  failHealth?: boolean;
}

/** Port the demo app listens on inside its container. */
export const DEMO_APP_PORT = 3000;

const execFileAsync = promisify(execFile);
/** Bump when the rootfs recipe below changes, so cached images are rebuilt. */
const recipeRevision = '1';
const baseRepository = 'berth-demo-base';
const versionRepository = 'berth-demo';
const keyLabel = 'berth.demo.key';
const serverSourcePath = fileURLToPath(new URL('../fixtures/demo-app/server.js', import.meta.url));
const imageNodePath = '/usr/bin/node';
/** Fixed owner, order and mtime: the same inputs give the same layer digest. */
const reproducibleTarFlags = [
  '--sort=name',
  '--numeric-owner',
  '--owner=0',
  '--group=0',
  '--mtime=@0',
];

/**
 * Builds the demo app images offline and pushes them to `registry`: one base image imported from
 * a rootfs holding the host's node binary, then per version a config-only image on top of it, so
 * each version has its own digest. Local images are cached by a hash of node + server.js.
 */
export async function buildDemoImages<V extends string>(
  registry: string,
  requests: readonly DemoImageRequest<V>[],
): Promise<Record<V, DemoImage>> {
  const nodePath = await realpath(process.execPath);
  const key = await demoImageKey(nodePath);
  const base = await ensureBaseImage(nodePath, key);
  const images: Partial<Record<V, DemoImage>> = {};
  for (const request of requests) {
    const local = await ensureVersionImage(base, key, request);
    images[request.version] = await pushDemoImage(local, registry, request.version);
  }
  return images as Record<V, DemoImage>;
}

/** Drops the registry tags and digest references buildDemoImages and pulls left on the engine. */
export async function removeDemoImageRefs(images: readonly DemoImage[]): Promise<void> {
  for (const image of images) {
    await dockerQuietly(['image', 'rm', `${image.repository}:${image.tag}`]);
    await dockerQuietly(['image', 'rm', image.pinned]);
  }
}

async function demoImageKey(nodePath: string): Promise<string> {
  const hash = createHash('sha256').update(`recipe ${recipeRevision}\n`);
  for await (const chunk of createReadStream(nodePath)) hash.update(chunk as Buffer);
  hash.update(await readFile(serverSourcePath));
  return hash.digest('hex').slice(0, 16);
}

async function ensureBaseImage(nodePath: string, key: string): Promise<string> {
  const ref = `${baseRepository}:${key}`;
  if (await imageExists(ref)) return ref;
  const dir = await mkdtemp(join(tmpdir(), 'berth-demo-rootfs-'));
  try {
    const rootfs = join(dir, 'rootfs');
    await writeRootfs(rootfs, nodePath);
    const tarPath = join(dir, 'rootfs.tar');
    await execFileAsync('tar', ['-C', rootfs, ...reproducibleTarFlags, '-cf', tarPath, '.']);
    const changes = [
      `CMD ["${imageNodePath}","/app/server.js"]`,
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      `EXPOSE ${DEMO_APP_PORT}`,
      'WORKDIR /app',
      `LABEL ${keyLabel}=${key}`,
    ];
    await docker(['image', 'import', ...asChangeFlags(changes), tarPath, ref]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  await pruneStaleDemoImages(key);
  return ref;
}

/** Node, the shared libraries and loader `ldd` names, and the app: nothing else. */
async function writeRootfs(rootfs: string, nodePath: string): Promise<void> {
  await copyInto(rootfs, nodePath, imageNodePath);
  for (const library of await sharedLibrariesOf(nodePath)) await copyInto(rootfs, library, library);
  await writeInto(
    rootfs,
    '/etc/passwd',
    'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n',
  );
  await writeInto(rootfs, '/etc/group', 'root:x:0:\nnogroup:x:65534:\n');
  await copyInto(rootfs, serverSourcePath, '/app/server.js');
  await writeInto(rootfs, '/app/package.json', '{ "type": "module" }\n');
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
}

async function sharedLibrariesOf(binaryPath: string): Promise<string[]> {
  const { stdout } = await execFileAsync('ldd', [binaryPath]);
  return [...stdout.matchAll(/(\/\S+) \(0x[0-9a-f]+\)/g)].flatMap((match) =>
    match[1] ? [match[1]] : [],
  );
}

async function copyInto(rootfs: string, source: string, target: string): Promise<void> {
  const destination = join(rootfs, target);
  await mkdir(dirname(destination), { recursive: true });
  await copyFile(source, destination);
  await chmod(destination, 0o755);
}

async function writeInto(rootfs: string, target: string, content: string): Promise<void> {
  const destination = join(rootfs, target);
  await mkdir(dirname(destination), { recursive: true });
  await writeFile(destination, content, { mode: 0o644 });
}

async function ensureVersionImage(
  base: string,
  key: string,
  request: DemoImageRequest,
): Promise<string> {
  const variant = `${tagFor(request.version)}${request.failHealth ? '-failing' : ''}`;
  const ref = `${versionRepository}:${variant}-${key}`;
  if (await imageExists(ref)) return ref;
  // Committing a never-started container adds no layer: only the image config differs.
  const container = `berth-demo-commit-${randomUUID().slice(0, 8)}`;
  await docker(['container', 'create', '--name', container, base]);
  try {
    const changes = [
      `ENV APP_VERSION=${request.version}`,
      `LABEL berth.demo.version=${request.version}`,
    ];
    if (request.failHealth) changes.push('ENV FAIL_HEALTH=1');
    await docker(['container', 'commit', ...asChangeFlags(changes), container, ref]);
  } finally {
    await dockerQuietly(['container', 'rm', '--force', container]);
  }
  return ref;
}

async function pushDemoImage(local: string, registry: string, version: string): Promise<DemoImage> {
  const repository = `${registry}/demo`;
  const tag = tagFor(version);
  await docker(['image', 'tag', local, `${repository}:${tag}`]);
  const output = await docker(['image', 'push', `${repository}:${tag}`]);
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
  if (digest === undefined)
    throw new Error(`docker push ${repository}:${tag} printed no digest:\n${output}`);
  return { version, repository, tag, digest, pinned: `${repository}@${digest}` };
}

async function imageExists(ref: string): Promise<boolean> {
  return docker(['image', 'inspect', '--format', '{{.Id}}', ref]).then(
    () => true,
    () => false,
  );
}

/** Removes demo images built from an older node or server.js; images still in use stay. */
async function pruneStaleDemoImages(currentKey: string): Promise<void> {
  const current = new Set(await imageIdsLabelled(`${keyLabel}=${currentKey}`));
  const stale = (await imageIdsLabelled(keyLabel)).filter((id) => !current.has(id));
  const refsFormat = '{{join .RepoTags "\\n"}}\n{{join .RepoDigests "\\n"}}';
  for (const id of new Set(stale)) {
    const refs = await docker(['image', 'inspect', '--format', refsFormat, id]).catch(() => '');
    // Untag first: an image with several references can only be removed by force otherwise.
    for (const ref of lines(refs)) await dockerQuietly(['image', 'rm', ref]);
    await dockerQuietly(['image', 'rm', id]);
  }
}

async function imageIdsLabelled(label: string): Promise<string[]> {
  const format = '{{.ID}}';
  return lines(
    await docker(['image', 'ls', '--no-trunc', '--filter', `label=${label}`, '--format', format]),
  );
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** A version as a Docker tag: characters Docker refuses become dashes. */
function tagFor(version: string): string {
  return version.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, 100);
}

function asChangeFlags(changes: string[]): string[] {
  return changes.flatMap((change) => ['--change', change]);
}
