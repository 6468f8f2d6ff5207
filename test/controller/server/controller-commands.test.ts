import { spawn } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { verifyOperatorToken } from '../../../shared/auth/operator-token.ts';
import { loadControllerConfig } from '../../../shared/config/controller-config.ts';
import { formatPublicKey, generateSigningKey } from '../../../shared/keys/index.ts';
import { pinnedAgent } from '../../../shared/tls/pinned-agent.ts';
import {
  publicKeyPinOfPem,
  fingerprintOfPem,
} from '../../../shared/tls/self-signed-certificate.ts';
import { controllerInitCommand } from '../../../controller/commands/controller-init.ts';
import { controllerLoginTokenCommand } from '../../../controller/commands/controller-token.ts';
import type { BerthCommand } from '../../../controller/cli-context.ts';
import { reportError } from '../../../shared/cli/run-cli.ts';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const runner = fileURLToPath(new URL('./run-controller.ts', import.meta.url));

async function run(command: BerthCommand, argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const output = {
    out: (text: string) => (stdout += text),
    err: (text: string) => (stderr += text),
  };
  let code: number;
  try {
    code = await command.run(argv, { cwd: tmpdir(), env, output });
  } catch (error) {
    reportError(error, output);
    code = 1;
  }
  return { code, stdout, stderr };
}

async function initArgs(dataDir: string, extra: string[] = []): Promise<string[]> {
  const release = formatPublicKey((await generateSigningKey()).publicJwk);
  const operator = formatPublicKey((await generateSigningKey()).publicJwk);
  return [
    '--data-dir',
    dataDir,
    '--trust-release-key',
    release,
    '--trust-operator-key',
    operator,
    ...extra,
  ];
}

describe('berth controller init', () => {
  it('writes config and certificate, and prints the controller block for config/deploy.yml', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-ctl-init-'));
    const args = await initArgs(dataDir, [
      '--name',
      'hq',
      '--public-url',
      'https://deploy.example.test:7600',
    ]);
    const result = await run(controllerInitCommand, args);
    expect(result.code).toBe(0);
    const config = await loadControllerConfig(join(dataDir, 'controller.yml'));
    expect(config).toMatchObject({
      name: 'hq',
      dataDir,
      api: { port: 7600, publicUrl: 'https://deploy.example.test:7600' },
    });
    expect(config.trust.releaseKeys).toEqual([args[3]]);
    const fingerprint = fingerprintOfPem(await readFile(config.tls.certPath, 'utf8'));
    expect(result.stdout).toContain(
      `controller:\n  url: https://deploy.example.test:7600\n  fingerprint: ${fingerprint}\n`,
    );
    expect((await stat(config.tls.keyPath)).mode & 0o777).toBe(0o600);
    expect((await run(controllerInitCommand, args)).stderr).toContain('already set up');
  });

  it('requires both trusted keys', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-ctl-init-'));
    const result = await run(controllerInitCommand, ['--data-dir', dataDir]);
    expect(result.stderr).toContain('--trust-release-key is required');
  });
});

describe('berth controller login-token', () => {
  it('prints a ten-minute operator token for the controller', async () => {
    const key = await generateSigningKey();
    const result = await run(controllerLoginTokenCommand, ['--audience', 'hq'], {
      BERTH_OPERATOR_KEY: JSON.stringify(key.privateJwk),
      BERTH_OPERATOR: 'carol',
    });
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    const trustedKeys = [{ kid: key.kid, jwk: key.publicJwk }];
    expect(
      await verifyOperatorToken(token, { trustedKeys, audience: 'hq', now: new Date() }),
    ).toEqual({
      subject: 'carol',
      kid: key.kid,
    });
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      iat: number;
      exp: number;
    };
    expect(claims.exp - claims.iat).toBe(600);
  });
});

describe('berth controller run', () => {
  it('serves the API on the configured port and stops cleanly on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-ctl-run-'));
    expect(
      (
        await run(
          controllerInitCommand,
          await initArgs(dataDir, ['--api-host', '127.0.0.1', '--api-port', '0']),
        )
      ).code,
    ).toBe(0);
    const config = await loadControllerConfig(join(dataDir, 'controller.yml'));
    const child = spawn(process.execPath, ['--import', 'tsx', runner, '--data-dir', dataDir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        const match = /"address":"(https:\/\/127\.0\.0\.1:\d+)"/.exec(log);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`controller exited early:\n${log}`)));
    });
    const dispatcher = pinnedAgent(fingerprintOfPem(await readFile(config.tls.certPath, 'utf8')));
    try {
      const response = await request(`${address}/v1/identity`, { dispatcher });
      expect(await response.body.json()).toEqual({
        name: 'controller',
        fleet: 'default',
        releaseKeys: config.trust.releaseKeys,
        publicKeyPin: publicKeyPinOfPem(await readFile(config.tls.certPath, 'utf8')),
      });
    } finally {
      await dispatcher.close();
    }
    const exitCode = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exitCode).toBe(0);
    expect(log).toContain('stopping');
  }, 20_000);
});
