import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileAgent, nativePackages } from './compile-agent.ts';
import { copyNativePackages } from './copy-native-packages.ts';
import { bundlePackageJson, entryScript, launcherScript } from './launcher.ts';
import { packBundle } from './pack-bundle.ts';
import { assertSelfContainedNode } from './self-contained-node.ts';

export interface BuiltBundle {
  path: string;
  fileName: string;
  version: string;
  arch: string;
  sha256: string;
  bytes: number;
}

const unitFiles = [
  'berth-agent.service',
  'berth-proxy.service',
  'berth-proxy.socket',
  'berth-proxy-https.socket',
];

/** `berth-agent-<version>-linux-<arch>.tar.gz`, the name install.sh and the controller use. */
export function bundleFileName(version: string, arch: string): string {
  return `berth-agent-${version}-linux-${arch}.tar.gz`;
}

/**
 * Builds the agent bundle for this machine's architecture into `outDir`: this Node binary,
 * the agent compiled to one file, native packages as `npm ci` built them, a `berth-agent`
 * launcher, the systemd units and the install guide. Checks the result runs before packing.
 */
export async function buildBundle(options: {
  repoDir: string;
  outDir: string;
}): Promise<BuiltBundle> {
  const { repoDir, outDir } = options;
  const version = (
    JSON.parse(await readFile(join(repoDir, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const arch = process.arch;
  assertSelfContainedNode(process.execPath);
  const stage = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
  try {
    await mkdir(join(stage, 'bin'));
    await copyFile(process.execPath, join(stage, 'bin', 'node'));
    await writeFile(join(stage, 'bin', 'berth-agent'), launcherScript, { mode: 0o755 });
    await writeFile(join(stage, 'bin', 'berth-agent.js'), entryScript);
    await writeFile(join(stage, 'package.json'), bundlePackageJson(version));
    await writeFile(join(stage, 'VERSION'), `${version} linux-${arch} node-${process.version}\n`);
    await compileAgent(join(repoDir, 'agent', 'main.ts'), join(stage, 'lib', 'agent', 'main.mjs'));
    await copyNativePackages(
      nativePackages,
      join(repoDir, 'node_modules'),
      join(stage, 'lib', 'node_modules'),
    );
    await mkdir(join(stage, 'share', 'systemd'), { recursive: true });
    for (const unit of unitFiles) {
      await copyFile(join(repoDir, 'systemd', unit), join(stage, 'share', 'systemd', unit));
    }
    await mkdir(join(stage, 'share', 'doc'), { recursive: true });
    await copyFile(join(repoDir, 'docs', 'install.md'), join(stage, 'share', 'doc', 'install.md'));
    await chmod(stage, 0o755);
    smokeTest(stage);

    await mkdir(outDir, { recursive: true });
    const fileName = bundleFileName(version, arch);
    const path = join(outDir, fileName);
    const sha256 = await packBundle(stage, path);
    return { path, fileName, version, arch, sha256, bytes: (await stat(path)).size };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** The launcher starts the agent, and the native SQLite binding loads in the bundled Node. */
function smokeTest(stage: string): void {
  execFileSync(join(stage, 'bin', 'berth-agent'), ['--help'], { stdio: 'pipe' });
  const sqlite = join(stage, 'lib', 'node_modules', 'better-sqlite3');
  execFileSync(
    join(stage, 'bin', 'node'),
    ['-e', `new (require(process.argv[1]))(':memory:').prepare('select 1').get()`, sqlite],
    { stdio: 'pipe' },
  );
}
