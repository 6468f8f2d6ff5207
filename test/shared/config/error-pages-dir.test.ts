import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readErrorPagesDir } from '../../../shared/config/error-pages-dir.ts';
import { rejection } from '../berth-error.ts';

describe('readErrorPagesDir (error_pages_path)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-error-pages-'));
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the pages named after a status the proxy answers, and nothing else', async () => {
    await writeFile(join(dir, '503.html'), '<p>{{message}}</p>');
    await writeFile(join(dir, '404.html'), '<p>lost</p>');
    await writeFile(join(dir, '500.html'), 'the app answers its own 500s');
    await writeFile(join(dir, 'logo.svg'), '<svg/>');
    expect(await readErrorPagesDir(dir)).toEqual({
      '404': '<p>lost</p>',
      '503': '<p>{{message}}</p>',
    });
  });

  it('names the key and the problem: no directory, no pages, a page too big', async () => {
    const missing = await rejection(readErrorPagesDir(join(dir, 'nope')));
    expect([missing.code, missing.message]).toEqual([
      'CONFIG_INVALID',
      `error_pages_path: ${join(dir, 'nope')} is not a readable directory`,
    ]);
    expect((await rejection(readErrorPagesDir(dir))).message).toMatch(
      /^error_pages_path: .* holds none of 400\.html, 404\.html/,
    );
    await writeFile(join(dir, '503.html'), 'x'.repeat(64 * 1024 + 1));
    expect((await rejection(readErrorPagesDir(dir))).message).toMatch(
      /^error_pages_path: 503\.html is 65537 bytes, over the 65536/,
    );
  });
});
