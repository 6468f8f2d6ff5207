import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJoinToken, encodeJoinToken } from '../../shared/join-token.ts';
import { freePort } from '../helpers/test-fleet.ts';
import { InstallWorld, type ScriptResult } from './install-world.ts';
import { listTree } from './scratch-root.ts';
import { verifyUnits } from './unit-files.ts';

/** Runs install.sh expecting a refusal: one clear error line, and nothing new in the scratch root. */
async function expectRefusal(world: InstallWorld, args: string[]): Promise<ScriptResult> {
  const before = await listTree(world.root);
  const result = await world.install(...args);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^install\.sh: error: .+$/m);
  expect(await listTree(world.root)).toEqual(before);
  expect(await world.leftoverTempFiles()).toEqual([]);
  return result;
}

describe('install.sh refuses clearly and installs nothing', () => {
  let world: InstallWorld;
  let token: string;

  beforeAll(async () => {
    world = await InstallWorld.create('refused');
    // Something already there, which a refusal must leave alone.
    await writeFile(join(world.root, 'keep.txt'), 'mine');
    token = await world.issueToken('web-1');
  });

  afterAll(async () => {
    await world?.destroy();
  });

  it('refuses a token the controller does not know, after checking the bundle', async () => {
    const forged = encodeJoinToken({ ...decodeJoinToken(token), secret: 'x'.repeat(43) });
    const result = await expectRefusal(world, ['--token', forged]);
    expect(result.stderr).toMatch(/refused the join/);
    expect(result.stderr).toMatch(/joining the controller failed .*nothing was installed/);
  });

  it('refuses a damaged token before contacting anything', async () => {
    const result = await expectRefusal(world, ['--token', `${token.slice(0, 40)}!`]);
    expect(result.stderr).toMatch(/--token must be the whole token/);
  });

  it('refuses a bad --https-port before contacting anything', async () => {
    const typo = await expectRefusal(world, ['--token', token, '--https-port', '443s']);
    expect(typo.stderr).toMatch(/--https-port must be a port number, got "443s"/);
    const tooHigh = await expectRefusal(world, ['--token', token, '--https-port', '70000']);
    expect(tooHigh.stderr).toMatch(/--https-port must be a port number up to 65535, got "70000"/);
  });

  it('names the controller it cannot reach', async () => {
    const port = await freePort();
    const away = encodeJoinToken({ ...decodeJoinToken(token), url: `https://127.0.0.1:${port}` });
    const result = await expectRefusal(world, ['--token', away]);
    expect(result.stderr).toMatch(
      new RegExp(`cannot reach the controller at https://127\\.0\\.0\\.1:${port}: check the URL`),
    );
  });

  it('refuses a controller whose certificate is not the pinned one', async () => {
    const pinned = `sha256:${'0'.repeat(64)}`;
    const impostor = encodeJoinToken({ ...decodeJoinToken(token), fingerprint: pinned });
    const result = await expectRefusal(world, ['--token', impostor]);
    expect(result.stderr).toMatch(/presented certificate sha256:[0-9a-f]{64}, not the pinned/);
  });

  it('refuses a bundle whose checksum does not match', async () => {
    const served = join(world.bundlesDir, world.bundle.fileName);
    const bytes = await readFile(served);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
    await writeFile(served, bytes);
    try {
      const result = await expectRefusal(world, ['--token', token]);
      expect(result.stderr).toMatch(
        new RegExp(
          `checksum mismatch for ${world.bundle.fileName.replace(/\./g, '\\.')}: expected ${world.bundle.sha256}, got [0-9a-f]{64}; nothing was installed`,
        ),
      );
    } finally {
      await world.restoreBundle();
    }
  });

  it('refuses an OS it cannot install Docker on, and says what to do', async () => {
    const osRelease = join(world.dir, 'os-release');
    await writeFile(osRelease, 'NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 40"\n');
    const result = await expectRefusal(world, ['--token', token, '--os-release', osRelease]);
    expect(result.stderr).toMatch(
      /installs Docker on Debian and Ubuntu only, and this is Fedora Linux 40: install Docker Engine yourself .*then rerun with --skip-docker/,
    );
  });

  it('still joins with the token after all those refusals', async () => {
    const result = await world.install('--token', token, '--skip-docker');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Joined controller/);
  });

  it('drops the HTTPS socket unit on an upgrade once proxy.httpsPort is 0 (HTTP only)', async () => {
    const unitDir = join(world.root, 'etc/systemd/system');
    expect(existsSync(join(unitDir, 'berth-proxy-https.socket'))).toBe(true);
    const configPath = join(world.root, 'var/lib/berth/agent.yml');
    const config = await readFile(configPath, 'utf8');
    expect(config).toMatch(/^ {2}httpsPort: 443$/m);
    await writeFile(configPath, config.replace(/^ {2}httpsPort: 443$/m, '  httpsPort: 0'));

    const result = await world.install('--skip-docker');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /\(skipped\) systemctl disable --now berth-proxy-https\.socket$/m,
    );
    expect(result.stdout).toContain('HTTPS off (proxy.httpsPort 0)');
    expect(existsSync(join(unitDir, 'berth-proxy-https.socket'))).toBe(false);
    const proxyUnit = await readFile(join(unitDir, 'berth-proxy.service'), 'utf8');
    expect(proxyUnit).toMatch(/^Requires=berth-proxy\.socket$/m);
    expect(proxyUnit).toMatch(/^After=berth-proxy\.socket network\.target$/m);
    expect(proxyUnit).toMatch(/^ExecStart=.* --http-port 80$/m);
    const proxyUnits = ['berth-proxy.socket', 'berth-proxy.service'];
    expect(
      await verifyUnits(
        proxyUnits.map((unit) => join(unitDir, unit)),
        world.root,
      ),
    ).toBe('');
  });
});
