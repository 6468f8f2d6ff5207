import { build } from 'esbuild';

/** Packages left out of the single-file agent: loaded at run time from the bundle's node_modules. */
export const nativePackages = ['better-sqlite3'] as const;

// esbuild's ESM output has no `require`, `__dirname` or `__filename`; bundled CommonJS
// dependencies (dockerode, pino, …) use them, so the banner defines them for the one file.
const commonJsShim = [
  "import { createRequire as berthCreateRequire } from 'node:module';",
  "import { fileURLToPath as berthFileURLToPath } from 'node:url';",
  "import { dirname as berthDirname } from 'node:path';",
  'const require = berthCreateRequire(import.meta.url);',
  'const __filename = berthFileURLToPath(import.meta.url);',
  'const __dirname = berthDirname(__filename);',
].join('\n');

/**
 * Compiles agent/main.ts and everything it imports into one ES module at `outfile`, keeping
 * native packages external. Optional native helpers of dependencies (ssh2's crypto binding,
 * cpu-features) stay external too; their loaders fall back to JavaScript when absent.
 */
export async function compileAgent(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: [...nativePackages, 'cpu-features', '*.node'],
    banner: { js: commonJsShim },
    logLevel: 'error',
  });
}
