import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderDocFiles } from '../../scripts/docs/doc-files.ts';

const root = join(import.meta.dirname, '..', '..');

describe('generated docs', () => {
  it('match the schemas and the error catalogue (run `npm run docs:generate` when this fails)', async () => {
    const files = await renderDocFiles();
    const stale: string[] = [];
    for (const file of files) {
      const current = await readFile(join(root, file.path), 'utf8').catch(() => null);
      if (current !== file.content) stale.push(file.path);
    }
    expect(stale).toEqual([]);
    expect(files.map((file) => file.path)).toEqual([
      'docs/errors.md',
      'docs/reference/deploy-config.md',
      'docs/reference/deploy-config.schema.json',
      'docs/reference/agent-config.md',
      'docs/reference/agent-config.schema.json',
      'docs/reference/controller-config.md',
      'docs/reference/controller-config.schema.json',
      'docs/reference/release-manifest.md',
      'docs/reference/release-manifest.schema.json',
      'docs/reference/service-control.md',
      'docs/reference/service-control.schema.json',
    ]);
  });

  it('document every config key path with a description', async () => {
    const files = await renderDocFiles();
    const page =
      files.find((file) => file.path === 'docs/reference/deploy-config.md')?.content ?? '';
    for (const key of [
      'service',
      'servers.<role>.hosts',
      'proxy.healthcheck.interval',
      'env.secret',
      'release_ttl',
    ]) {
      expect(page).toMatch(
        new RegExp(`\\| \`${key.replace(/[.<>]/g, '\\$&')}\` +\\|[^|]+\\|[^|]*\\| +[A-Z]`),
      );
    }
  });
});
