import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signOperatorToken } from '../../../shared/auth/operator-token.ts';
import { parsePublicKey } from '../../../shared/keys/index.ts';
import { sealSecrets } from '../../../shared/secrets/seal.ts';
import { ControllerHarness, CONTROLLER_NAME, newAgentIdentity } from './controller-harness.ts';

const PLAINTEXT = 'hunter2-database-password-5f0c9a';

let harness: ControllerHarness;
beforeEach(async () => {
  harness = await ControllerHarness.create();
});
afterEach(() => harness.close());

/** Every byte the store wrote: the database, its WAL and shared-memory files. */
async function databaseBytes(): Promise<string> {
  const files = (await readdir(harness.dir)).filter((name) => name.startsWith('controller.sqlite'));
  expect(files).toContain('controller.sqlite');
  const contents = await Promise.all(files.map((name) => readFile(join(harness.dir, name))));
  return Buffer.concat(contents).toString('latin1');
}

describe('secrets at rest and in logs', () => {
  it('keeps sealed secrets, join secrets and tokens out of the database and the log', async () => {
    const { secret: joinSecret } = await harness.addHost('app-1');
    const agent = await newAgentIdentity('app-1');
    expect((await harness.joinRequest(agent, joinSecret)).statusCode).toBe(200);
    const jwe = await sealSecrets(
      { DATABASE_PASSWORD: PLAINTEXT },
      parsePublicKey(JSON.stringify(agent.encryption.publicJwk), 'X25519'),
    );
    const jws = await harness.signedRelease(7, ['app-1'], {
      roles: { web: { hosts: ['app-1'], secretEnv: ['DATABASE_PASSWORD'] } },
      secrets: { 'app-1': jwe },
    });
    const publishHeaders = await harness.operatorAuth('carol');
    expect(
      (
        await harness.app.inject({
          method: 'POST',
          url: '/v1/releases',
          headers: publishHeaders,
          payload: { release: jws },
        })
      ).statusCode,
    ).toBe(201);
    const agentHeaders = await harness.agentAuth(agent);
    const poll = await harness.app.inject({
      method: 'GET',
      url: '/v1/agents/app-1/releases',
      headers: agentHeaders,
    });
    expect(poll.json()).toEqual({ releases: [jws] });
    // Refusals and failures are logged too: a replay, a reused join token, a bad sign-in.
    expect((await harness.publish(jws)).statusCode).toBe(409);
    expect((await harness.joinRequest(agent, joinSecret)).statusCode).toBe(403);
    const loginToken = await signOperatorToken(harness.operator, {
      audience: 'wrong',
      subject: 'carol',
      now: harness.now(),
    });
    await harness.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `token=${loginToken}`,
    });
    await harness.app.inject({
      method: 'GET',
      url: '/v1/agents/app-1/releases',
      headers: { authorization: `${agentHeaders.authorization}x` },
    });

    const stored = await databaseBytes();
    expect(stored).toContain('release.publish');
    const log = harness.logText();
    expect(log).toContain('release published');
    expect(log).toContain('request refused');
    const tokens = [
      publishHeaders.authorization.slice('Bearer '.length),
      agentHeaders.authorization.slice('Bearer '.length),
      loginToken,
    ];
    for (const forbidden of [PLAINTEXT, joinSecret, ...tokens]) {
      expect(stored).not.toContain(forbidden);
      expect(log).not.toContain(forbidden);
    }
    for (const forbidden of [jwe, jws]) expect(log).not.toContain(forbidden);
    expect(log).not.toContain(jwe.split('.')[4] ?? jwe);
  });

  it('answers with the controller name used for tokens, and never the secret again', async () => {
    const { secret } = await harness.addHost('app-1');
    const hosts = await harness.get('/v1/hosts');
    const identity = await harness.app.inject({ method: 'GET', url: '/v1/identity' });
    expect(identity.json()).toMatchObject({ name: CONTROLLER_NAME, fleet: 'production' });
    expect(hosts.body).not.toContain(secret);
    expect(hosts.body).not.toContain('token');
  });
});
