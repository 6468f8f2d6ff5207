import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgentCli } from '../../../agent/commands/agent-cli.ts';
import { agentConfigPath, loadAgentConfig } from '../../../shared/config/agent-config.ts';
import { encodeJoinToken, type JoinToken } from '../../../shared/join-token.ts';
import { formatPublicKey, readKeyFile } from '../../../shared/keys/index.ts';
import { FakeController } from './fake-controller.ts';
import { CONTROLLER_NAME, FLEET, HOST, releaseSigner } from './puller-fixtures.ts';

describe('berth-agent join', () => {
  let root: string;
  let dataDir: string;
  let controller: FakeController;
  let releaseKey: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-join-'));
    dataDir = join(root, 'agent');
    controller = await FakeController.start();
    releaseKey = (await releaseSigner()).publicKey;
  });

  afterEach(async () => {
    await controller.close();
    await rm(root, { recursive: true, force: true });
  });

  function token(overrides: Partial<JoinToken> = {}): string {
    return encodeJoinToken({
      url: controller.url,
      fingerprint: controller.fingerprint,
      name: HOST,
      fleet: FLEET,
      controllerName: CONTROLLER_NAME,
      secret: 's'.repeat(40),
      releaseKeys: [releaseKey],
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      ...overrides,
    });
  }

  async function join_(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await runAgentCli(['join', ...args], {
      out: (text) => void (out += text),
      err: (text) => void (err += text),
    });
    return { code, out, err };
  }

  it('registers the host key with the controller and writes a pull-mode setup, private keys 0600', async () => {
    const result = await join_(token(), '--data-dir', dataDir, '--api-port', '7999');
    expect(result.code, result.err).toBe(0);
    const config = await loadAgentConfig(agentConfigPath(dataDir));
    expect(config).toMatchObject({
      name: HOST,
      fleet: FLEET,
      api: { host: '127.0.0.1', port: 7999 },
      trust: { releaseKeys: [releaseKey], operatorKeys: [] },
      controller: {
        url: controller.url,
        fingerprint: controller.fingerprint,
        name: CONTROLLER_NAME,
      },
    });
    for (const path of [
      config.identity.signingKeyPath,
      config.identity.encryptionKeyPath,
      config.tls.keyPath,
    ]) {
      expect(((await stat(path)).mode & 0o777).toString(8), path).toBe('600');
    }
    const signing = await readKeyFile(config.identity.signingKeyPath, 'Ed25519');
    const encryption = await readKeyFile(config.identity.encryptionKeyPath, 'X25519');
    expect(controller.joins).toEqual([
      {
        secret: 's'.repeat(40),
        name: HOST,
        signingPublicKey: formatPublicKey(signing.publicJwk),
        encryptionPublicKey: formatPublicKey(encryption.publicJwk),
      },
    ]);
    expect(JSON.stringify(controller.joins)).not.toContain(signing.privateJwk.d);
    expect(result.out).toContain(`berth-agent run --data-dir ${dataDir}`);
  });

  it('prints the controller’s reason for a refusal and creates no data dir', async () => {
    controller.joinAnswer = {
      status: 409,
      body: { code: 'JOIN_TOKEN_USED', message: 'the join token for "app-1" was used already' },
    };
    const result = await join_(token(), '--data-dir', dataDir);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /refused the join: JOIN_TOKEN_USED: the join token for "app-1" was used already/,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it('leaves a data dir that was there exactly as it was when the join fails', async () => {
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'notes.txt'), 'mine');
    controller.joinAnswer = {
      status: 410,
      body: { code: 'JOIN_TOKEN_EXPIRED', message: 'expired' },
    };
    expect((await join_(token(), '--data-dir', dataDir)).code).toBe(1);
    expect(await readdir(dataDir)).toEqual(['notes.txt']);
  });

  it('refuses a controller whose certificate is not the pinned one, writing nothing', async () => {
    const result = await join_(
      token({ fingerprint: `sha256:${'0'.repeat(64)}` }),
      '--data-dir',
      dataDir,
    );
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/TLS_PINNING_FAILED/);
    expect(controller.joins).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('says so when the controller does not answer, writing nothing', async () => {
    const url = controller.url;
    await controller.close();
    const result = await join_(token({ url }), '--data-dir', dataDir);
    expect(result.code).toBe(1);
    expect(result.err).toMatch(
      /HOST_UNREACHABLE: controller https:\/\/127\.0\.0\.1:\d+ did not answer/,
    );
    expect(existsSync(dataDir)).toBe(false);
  });

  it.each([
    ['not a token at all', 'hello', /that is not a Berth join token/],
    ['a damaged token', 'berth-join-1.%%%', /the join token is damaged/],
    [
      'a token missing fields',
      `berth-join-1.${Buffer.from('{"url":"https://x"}').toString('base64url')}`,
      /damaged \(fields missing\)/,
    ],
  ])('explains %s with a usage error and touches nothing', async (_case, text, message) => {
    const result = await join_(text, '--data-dir', dataDir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('refuses an expired token before contacting the controller', async () => {
    const result = await join_(token({ expiresAt: '2020-01-01T00:00:00Z' }), '--data-dir', dataDir);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/the join token expired at 2020-01-01T00:00:00Z/);
    expect(controller.joins).toEqual([]);
  });

  it('checks its options before the one-time token is spent', async () => {
    const result = await join_(token(), '--data-dir', dataDir, '--http-port', '80a');
    expect(result.code).toBe(1);
    expect(result.err).toMatch(/CONFIG_INVALID/);
    expect(result.err).toMatch(/proxy\.httpPort/);
    expect(controller.joins).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('will not join over an agent already set up in the data dir', async () => {
    expect((await join_(token(), '--data-dir', dataDir)).code).toBe(0);
    const before = await readFile(agentConfigPath(dataDir), 'utf8');
    const again = await join_(token(), '--data-dir', dataDir);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already set up/);
    expect(await readFile(agentConfigPath(dataDir), 'utf8')).toBe(before);
    expect(controller.joins).toHaveLength(1);
  });
});
