import { existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';

/** Dependencies used only while `npm ci` builds a native package, never at run time. */
const installTimeOnly = new Set(['prebuild-install', 'node-gyp', 'node-addon-api', 'prebuild']);
/** Folders of sources, build intermediates and tests: not needed to run. */
const skippedFolders = new Set(['deps', 'src', 'test', 'tests', 'docs', 'obj', 'obj.target']);
const skippedFiles = new Set(['test_extension.node', 'binding.gyp']);

/** Keeps code and the built `.node` files; drops sources, intermediates, tests and docs. */
function isNeededAtRunTime(packageDir: string, path: string): boolean {
  const parts = relative(packageDir, path).split(sep);
  const name = basename(path);
  if (parts.some((part) => skippedFolders.has(part)) || skippedFiles.has(name)) return false;
  if (parts[0] === 'build') return isBuiltAddon(parts);
  return !name.endsWith('.md') && !name.endsWith('.d.ts');
}

/** Under build/: only build/Release/*.node (not Makefiles, objects or static libraries). */
function isBuiltAddon(parts: string[]): boolean {
  if (parts.length === 1) return true;
  if (parts[1] !== 'Release') return false;
  return parts.length === 2 || (parts.length === 3 && (parts[2] ?? '').endsWith('.node'));
}

/**
 * Copies `names` and their run-time dependencies from `nodeModules` (already built by `npm ci`
 * for this machine: nothing is compiled again) into `targetNodeModules`. Returns the names copied.
 */
export async function copyNativePackages(
  names: readonly string[],
  nodeModules: string,
  targetNodeModules: string,
): Promise<string[]> {
  const copied = new Set<string>();
  const queue = [...names];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (copied.has(name) || installTimeOnly.has(name)) continue;
    const source = join(nodeModules, name);
    if (!existsSync(source)) throw new Error(`${name} is missing from ${nodeModules}: run npm ci`);
    await cp(source, join(targetNodeModules, name), {
      recursive: true,
      filter: (path) => isNeededAtRunTime(source, path),
    });
    copied.add(name);
    const manifest = JSON.parse(await readFile(join(source, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    queue.push(...Object.keys(manifest.dependencies ?? {}));
  }
  return [...copied].sort();
}
