// Writes the reference docs generated from the schemas and the error catalogue.
// With --check, writes nothing and exits 1 naming every file that is stale.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderDocFiles } from './docs/doc-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

async function current(path: string): Promise<string | null> {
  return readFile(join(root, path), 'utf8').catch(() => null);
}

const stale: string[] = [];
for (const file of await renderDocFiles()) {
  if ((await current(file.path)) === file.content) continue;
  stale.push(file.path);
  if (check) continue;
  await mkdir(dirname(join(root, file.path)), { recursive: true });
  await writeFile(join(root, file.path), file.content);
}

if (check && stale.length > 0) {
  process.stderr.write(
    `Generated docs are stale: ${stale.join(', ')}\nRun: npm run docs:generate\n`,
  );
  process.exitCode = 1;
} else {
  process.stdout.write(stale.length ? `Wrote ${stale.join(', ')}\n` : 'Docs are up to date.\n');
}
