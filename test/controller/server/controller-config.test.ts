import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  controllerConfigPath,
  defaultControllerDataDir,
  loadControllerConfig,
  writeControllerConfig,
} from '../../../shared/config/controller-config.ts';
import { formatPublicKey, generateSigningKey } from '../../../shared/keys/index.ts';
import { rejection } from '../../shared/berth-error.ts';

async function configFile(content: unknown): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'berth-controller-config-')), 'controller.yml');
  await writeFile(path, stringify(content));
  return path;
}

describe('controller config', () => {
  it('fills defaults and derives the TLS paths from dataDir', async () => {
    const config = await loadControllerConfig(await configFile({ dataDir: '/srv/ctl' }));
    expect(config).toEqual({
      name: 'controller',
      fleet: 'default',
      dataDir: '/srv/ctl',
      api: { host: '0.0.0.0', port: 7600 },
      tls: { certPath: '/srv/ctl/tls/cert.pem', keyPath: '/srv/ctl/tls/key.pem' },
      trust: { releaseKeys: [], operatorKeys: [] },
      staleAfterMs: 90_000,
      longPollMaxMs: 30_000,
      joinTokenTtlSeconds: 3600,
    });
    expect(Object.isFrozen(config.api)).toBe(true);
  });

  it('names the key path of every problem at once', async () => {
    const path = await configFile({
      api: { port: 'x', publicUrl: 'http://plain.example' },
      trust: { releaseKeys: ['ed25519:nope'] },
      stalAfterMs: 1,
      longPollMaxMs: 0.5,
    });
    const error = await rejection(loadControllerConfig(path));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(
      error.message
        .split('\n')
        .slice(1)
        .map((line) => line.trim()),
    ).toEqual([
      'api.port: expected an integer, got "x"',
      'api.publicUrl: expected a URL, got "http://plain.example"',
      'trust.releaseKeys.0: public key is malformed; expected "ed25519:<base64url>", "x25519:<base64url>" or a public JWK',
      'longPollMaxMs: expected an integer, got 0.5',
      'unknown key "stalAfterMs" (did you mean "staleAfterMs"?)',
    ]);
  });

  it('writes what it loads back, keys in printable form', async () => {
    const key = await generateSigningKey();
    const dir = await mkdtemp(join(tmpdir(), 'berth-controller-config-'));
    const written = await writeControllerConfig(controllerConfigPath(dir), {
      name: 'hq',
      dataDir: dir,
      trust: { releaseKeys: [JSON.stringify(key.publicJwk)] },
    });
    expect(written.trust.releaseKeys).toEqual([formatPublicKey(key.publicJwk)]);
    expect(await loadControllerConfig(controllerConfigPath(dir))).toEqual(written);
  });

  it('says how to set the controller up when the file is missing', async () => {
    const error = await rejection(loadControllerConfig('/nonexistent/controller.yml'));
    expect(error.code).toBe('CONFIG_NOT_FOUND');
    expect(error.hint).toContain('berth controller init');
  });

  it('takes the data dir from BERTH_CONTROLLER_DATA_DIR, else XDG_DATA_HOME for non-root users', () => {
    expect(defaultControllerDataDir({ BERTH_CONTROLLER_DATA_DIR: '/srv/x' })).toBe('/srv/x');
    if (process.getuid?.() !== 0) {
      expect(defaultControllerDataDir({ XDG_DATA_HOME: '/home/u/.data' })).toBe(
        '/home/u/.data/berth-controller',
      );
    }
  });
});
