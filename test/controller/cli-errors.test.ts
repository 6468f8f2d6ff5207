import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestApp } from '../helpers/test-fleet.ts';

describe('berth CLI: bad input gets one clear error line and a non-zero exit', () => {
  let root: string;
  let app: TestApp;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    app = new TestApp(root);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('names the key path of an unknown key, a wrong type and a missing image, all at once', async () => {
    await app.publicKeys();
    await app.writeConfig({
      service: 'demo',
      servers: { web: ['web-1'] },
      proxy: { app_port: '80a' },
      imgae: 'x',
    });
    const result = await app.berth('deploy', '--version', 'v1');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.split('\n');
    expect(lines[0]).toMatch(/^ERROR CONFIG_INVALID: .*config\/deploy\.yml is invalid:$/);
    expect(result.stderr).toContain('  image: required');
    expect(lines).toContain('  unknown key "imgae" (did you mean "image"?)');
    expect(result.stderr).toMatch(/ {2}proxy\.app_port: expected an integer, got "80a"/);
  });

  it('says how to start when there is no config', async () => {
    const result = await app.berth('status');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ERROR CONFIG_NOT_FOUND: /);
    expect(result.stderr).toMatch(/berth init/);
  });

  it('exits 2 with a usage hint for an unknown command, an unknown flag, or a missing argument', async () => {
    const unknown = await app.berth('deplyo');
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(
        /^ERROR USAGE: unknown command "deplyo"\n {2}run `berth --help`/,
      ),
    });
    const flag = await app.berth('deploy', '--verison', 'v1');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/^ERROR USAGE: berth deploy: Unknown option '--verison'/);
    expect(flag.stderr).toMatch(/run `berth deploy --help`/);
    const missing = await app.berth('hosts', 'add', 'web-1');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--url is required/);
  });

  it('refuses to deploy to a host that is not registered, naming the fix', async () => {
    await app.publicKeys();
    await app.writeConfig({
      service: 'demo',
      image: '127.0.0.1:1/demo',
      servers: { web: ['web-1'] },
    });
    const result = await app.berth('deploy', '--version', 'v1');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ERROR HOST_UNKNOWN: host "web-1" is not registered\n {2}register it: berth hosts add web-1/,
    );
  });

  it('refuses a deploy without keys, naming how to create them', async () => {
    await app.writeConfig({
      service: 'demo',
      image: '127.0.0.1:1/demo',
      servers: { web: ['web-1'] },
    });
    const result = await app.berth('status');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^ERROR KEY_NOT_FOUND: no operator key at .*operator\.jwk\n {2}run `berth keys generate`/,
    );
  });

  it('prints help with every command and exits 0 for --help', async () => {
    const help = await app.berth('--help');
    expect(help.code).toBe(0);
    for (const command of [
      'init',
      'keys generate',
      'hosts add',
      'deploy',
      'rollback',
      'status',
      'releases',
    ]) {
      expect(help.stdout).toContain(`  ${command} `);
    }
    const deployHelp = await app.berth('deploy', '--help');
    expect(deployHelp.stdout).toMatch(/^Usage: berth deploy/);
  });

  it('berth init writes a config that loads, and git-ignores the secrets file', async () => {
    const result = await app.berth('init', '--service', 'shop');
    expect(result.code, result.stderr).toBe(0);
    await app.publicKeys();
    const status = await app.berth('status');
    expect(status.stderr).toMatch(/^ERROR HOST_UNKNOWN: host "web-1"/);
  });
});
