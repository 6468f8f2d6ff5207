import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateEncryptionKey,
  generateSigningKey,
  type KeyPair,
} from '../../../shared/keys/index.ts';
import { openSecrets, sealSecrets } from '../../../shared/secrets/seal.ts';
import { sealSecretsPerHost, secretNamesForHost } from '../../../shared/secrets/seal-per-host.ts';
import { rejection } from '../berth-error.ts';
import { manifestFixture } from '../manifest/manifest-fixture.ts';

const values = { DATABASE_URL: 'postgres://u:hunter2@db/app', API_TOKEN: 's3cr3t-t0ken' };
let host: KeyPair;
let otherHost: KeyPair;

beforeAll(async () => {
  host = await generateEncryptionKey();
  otherHost = await generateEncryptionKey();
});

describe('sealSecrets / openSecrets', () => {
  it('round-trip through a compact ECDH-ES/A256GCM JWE that hides the values', async () => {
    const jwe = await sealSecrets(values, host.publicJwk);
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString());
    expect(header).toMatchObject({
      alg: 'ECDH-ES',
      enc: 'A256GCM',
      kid: host.kid,
      epk: { crv: 'X25519' },
    });
    expect(jwe).not.toContain('hunter2');
    expect(await openSecrets(jwe, host.privateJwk)).toEqual(values);
    expect(await openSecrets(jwe, host)).toEqual(values);
  });

  it('cannot be opened by another host, and the error names no value', async () => {
    const jwe = await sealSecrets(values, { kid: host.kid, jwk: host.publicJwk });
    const error = await rejection(openSecrets(jwe, otherHost.privateJwk));
    expect(error.code).toBe('SECRET_UNSEALABLE');
    expect(error.message).toBe(
      `secrets are sealed to key "${host.kid}", but this host's encryption key is ${otherHost.kid}`,
    );
    expect(error.message).not.toMatch(/hunter2|s3cr3t/);
  });

  it('cannot be opened once the ciphertext is altered', async () => {
    const parts = (await sealSecrets(values, host.publicJwk)).split('.');
    const ciphertext = Buffer.from(parts[3] ?? '', 'base64url');
    ciphertext[0] = (ciphertext[0] ?? 0) ^ 0xff;
    parts[3] = ciphertext.toString('base64url');
    const error = await rejection(openSecrets(parts.join('.'), host.privateJwk));
    expect(error.code).toBe('SECRET_UNSEALABLE');
  });

  it('refuses a signing key where an encryption key belongs', async () => {
    const signing = await generateSigningKey();
    expect((await rejection(sealSecrets(values, signing.publicJwk))).code).toBe('KEY_INVALID');
  });
});

describe('sealSecretsPerHost', () => {
  const roles = manifestFixture({
    roles: {
      web: { hosts: ['app-1'], secretEnv: ['DATABASE_URL'] },
      jobs: { hosts: ['app-1', 'worker-1'], secretEnv: ['DATABASE_URL', 'API_TOKEN'] },
      cron: { hosts: ['cron-1'] },
    },
  }).roles;

  it('seals to each host only the names its roles use', async () => {
    expect(secretNamesForHost(roles, 'app-1')).toEqual(['DATABASE_URL', 'API_TOKEN']);
    const sealed = await sealSecretsPerHost(
      roles,
      { ...values, UNUSED: 'x' },
      { 'app-1': host.publicJwk, 'worker-1': otherHost.publicJwk },
    );
    expect(Object.keys(sealed).sort()).toEqual(['app-1', 'worker-1']);
    expect(await openSecrets(sealed['app-1'] ?? '', host.privateJwk)).toEqual(values);
    expect(await openSecrets(sealed['worker-1'] ?? '', otherHost.privateJwk)).toEqual(values);
  });

  it('needs a key for every host that gets secrets', async () => {
    const error = await rejection(sealSecretsPerHost(roles, values, { 'app-1': host.publicJwk }));
    expect(error.code).toBe('HOST_UNKNOWN');
    expect(error.message).toBe('no encryption key is known for host "worker-1"');
  });
});
