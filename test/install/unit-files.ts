import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Debian's systemd package has it; scripts/install-system-deps.sh installs it. */
export const systemdAnalyze = '/usr/bin/systemd-analyze';
const systemUnitDirs = ['/lib/systemd/system', '/usr/lib/systemd/system', '/etc/systemd/system'];

/**
 * `systemd-analyze verify` on unit files whose paths live under `root` (a scratch install).
 * verify checks that each ExecStart program exists and is executable, and it cannot look
 * under a scratch root for them (its --root hides the system units), so the units are checked
 * as copies with /usr/local and /var/lib rewritten into `root`. Dependencies the machine lacks
 * (docker.service where Docker did not come from a package) are stood in for by empty units.
 * Resolves what verify printed: empty when the units are clean.
 */
export async function verifyUnits(unitPaths: string[], root: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-verify-'));
  try {
    const copies: string[] = [];
    for (const path of unitPaths) {
      const text = (await readFile(path, 'utf8')).replace(
        /(^|[\s=])\/(usr\/local|var\/lib)\//gm,
        (_, before: string, prefix: string) => `${before}${root}/${prefix}/`,
      );
      const copy = join(dir, basename(path));
      await writeFile(copy, text);
      copies.push(copy);
    }
    if (!systemUnitDirs.some((unitDir) => existsSync(join(unitDir, 'docker.service')))) {
      await writeFile(join(dir, 'docker.service'), '[Service]\nExecStart=/bin/true\n');
    }
    const { stdout, stderr } = await execFileAsync(
      systemdAnalyze,
      ['verify', '--man=no', ...copies],
      {
        env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' },
      },
    ).catch((error: { stdout?: string; stderr?: string; message: string }) => ({
      stdout: error.stdout ?? '',
      stderr: `${error.stderr ?? ''}\n(exit: ${error.message})`,
    }));
    return `${stdout}${stderr}`.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
