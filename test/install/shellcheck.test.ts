import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoDir } from './bundle-cache.ts';

const execFileAsync = promisify(execFile);

describe('install.sh', () => {
  it('is shellcheck clean as POSIX sh (dash runs it on Debian and Ubuntu)', async () => {
    const result = await execFileAsync('shellcheck', [
      '--shell=sh',
      join(repoDir, 'install.sh'),
    ]).catch((error: NodeJS.ErrnoException & { stdout?: string }) => {
      if (error.code === 'ENOENT')
        throw new Error(
          'shellcheck is missing: run scripts/install-system-deps.sh (apt-get install shellcheck)',
        );
      return { stdout: error.stdout ?? String(error) };
    });
    expect(result.stdout).toBe('');
  });
});
