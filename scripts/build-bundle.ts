// `npm run bundle -- --out DIR`: builds the agent bundle for this machine's architecture.
// Controllers serve bundles from <controller data dir>/bundles; see docs/install.md.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBundle } from './bundle/build.ts';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  process.stderr.write(
    'usage: npm run bundle -- --out DIR   (e.g. --out /var/lib/berth-controller/bundles)\n',
  );
  process.exit(2);
}
const startedAtMs = Date.now();
const bundle = await buildBundle({
  repoDir: resolve(dirname(fileURLToPath(import.meta.url)), '..'),
  outDir: resolve(values.out),
});
process.stdout.write(
  [
    `built ${bundle.path}`,
    `  ${(bundle.bytes / 1024 / 1024).toFixed(1)} MiB, sha256 ${bundle.sha256}`,
    `  in ${((Date.now() - startedAtMs) / 1000).toFixed(1)} s (checksum in ${bundle.path}.sha256)`,
    '',
  ].join('\n'),
);
