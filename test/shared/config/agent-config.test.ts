import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  agentConfigPath,
  loadAgentConfig,
  writeAgentConfig,
} from '../../../shared/config/agent-config.ts';
import {
  formatPublicKey,
  generateEncryptionKey,
  generateSigningKey,
  type KeyPair,
} from '../../../shared/keys/index.ts';
import { rejection } from '../berth-error.ts';
import { configFile } from './config-files.ts';

let releaseKey: KeyPair;
let encryptionKey: KeyPair;

beforeAll(async () => {
  releaseKey = await generateSigningKey();
  encryptionKey = await generateEncryptionKey();
});

describe('loadAgentConfig', () => {
  it('fills defaults and derives every path from dataDir', async () => {
    const config = await loadAgentConfig(
      await configFile({ name: 'app-1', dataDir: '/srv/berth' }, 'agent.yml'),
    );
    expect(config).toEqual({
      name: 'app-1',
      fleet: 'default',
      dataDir: '/srv/berth',
      api: { host: '0.0.0.0', port: 7443 },
      proxy: {
        httpHost: '0.0.0.0',
        httpPort: 80,
        httpsPort: 443,
        acme: {},
        accessLog: true,
        socketPath: '/srv/berth/proxy.sock',
        statePath: '/srv/berth/proxy-state.json',
      },
      docker: { socketPath: '/var/run/docker.sock', network: 'berth' },
      trust: { releaseKeys: [], operatorKeys: [] },
      reconcileIntervalMs: 2000,
      releaseUrlIntervalMs: 30000,
      tls: { certPath: '/srv/berth/tls/cert.pem', keyPath: '/srv/berth/tls/key.pem' },
      identity: {
        signingKeyPath: '/srv/berth/keys/identity-signing.jwk',
        encryptionKeyPath: '/srv/berth/keys/identity-encryption.jwk',
      },
    });
    expect(Object.isFrozen(config.trust.releaseKeys)).toBe(true);
  });

  it('stores trusted keys in the printable form, whichever form was given', async () => {
    const path = await configFile(
      { name: 'app-1', trust: { releaseKeys: [JSON.stringify(releaseKey.publicJwk)] } },
      'agent.yml',
    );
    expect((await loadAgentConfig(path)).trust.releaseKeys).toEqual([
      formatPublicKey(releaseKey.publicJwk),
    ]);
  });

  it('lists every problem by key path, without echoing key text', async () => {
    const path = await configFile(
      {
        name: 'app 1',
        dataDir: 'relative/dir',
        api: { port: 70000 },
        trust: {
          releaseKeys: [
            formatPublicKey(encryptionKey.publicJwk),
            JSON.stringify(releaseKey.privateJwk),
          ],
        },
        reconcileInterval: 500,
      },
      'agent.yml',
    );
    const error = await rejection(loadAgentConfig(path));
    expect(error.message).toBe(
      [
        `${path} is invalid:`,
        '  name: expected an agent name (letters, digits, ".", "_" or "-"), got "app 1"',
        '  dataDir: expected an absolute path',
        '  api.port: expected at most 65535, got 70000',
        '  trust.releaseKeys.0: the public key must be an Ed25519 key, not X25519',
        '  trust.releaseKeys.1: a private key was given where a public key belongs',
        '  unknown key "reconcileInterval" (did you mean "reconcileIntervalMs"?)',
      ].join('\n'),
    );
  });
});

describe('writeAgentConfig', () => {
  it('writes YAML that loads back to the same config', async () => {
    const path = agentConfigPath(join(dirname(await configFile('', 'unused')), 'data'));
    const written = await writeAgentConfig(path, {
      name: 'app-1',
      fleet: 'prod',
      dataDir: '/srv/berth',
      trust: { releaseKeys: [formatPublicKey(releaseKey.publicJwk)] },
    });
    expect(await readFile(path, 'utf8')).toContain(`- ${formatPublicKey(releaseKey.publicJwk)}`);
    expect(await loadAgentConfig(path)).toEqual(written);
    expect(written.fleet).toBe('prod');
  });

  it('writes nothing when the config is invalid', async () => {
    const path = join(dirname(await configFile('', 'unused')), 'agent.yml');
    const error = await rejection(writeAgentConfig(path, { name: '' }));
    expect(error.code).toBe('CONFIG_INVALID');
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
