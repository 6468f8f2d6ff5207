import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { fleetSuite, operatorClient } from '../helpers/fleet-suite.ts';
import { snapshotHost } from '../helpers/host-snapshot.ts';
import type { AgentClient } from '../../controller/client/agent-client.ts';
import { loadPrivateKey } from '../../controller/keys/key-store.ts';
import { signRelease } from '../../shared/manifest/signing.ts';
import { signOperatorToken } from '../../shared/auth/operator-token.ts';
import { generateSigningKey } from '../../shared/keys/index.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { isBerthError } from '../../shared/errors.ts';

const service = 'secure';

describe('the agent refuses releases and API calls it must not trust, changing nothing', () => {
  const s = fleetSuite(service, { deploy: ['v1'] });
  let client: AgentClient;
  let live: { jws: string; manifest: ReleaseManifest };
  let releaseKey: Awaited<ReturnType<typeof loadPrivateKey>>;

  beforeAll(async () => {
    releaseKey = await loadPrivateKey(s.app.env, 'release');
    client = await operatorClient(s.app, s.host, 'attacker-test');
    const { releases } = await client.releases(service);
    const jws = releases[0]?.jws ?? '';
    live = {
      jws,
      manifest: JSON.parse(
        Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString(),
      ) as ReleaseManifest,
    };
  });

  afterAll(async () => {
    await client?.close();
  });

  /** A release that would be valid: next sequence, fresh dates, v2's digest. */
  function nextManifest(overrides: Partial<ReleaseManifest> = {}): ReleaseManifest {
    const now = Date.now();
    return {
      ...live.manifest,
      sequence: live.manifest.sequence + 1000,
      version: 'v2',
      image: s.images.v2.pinned,
      issuedAt: new Date(now).toISOString(),
      expiresAt: new Date(now + 600_000).toISOString(),
      ...overrides,
    };
  }

  async function expectRefused(jws: string, code: string, message: RegExp): Promise<void> {
    const before = await snapshotHost(s.host, service);
    const error = await client.publish(jws).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isBerthError(error) ? { code: error.code, message: error.message } : error).toEqual({
      code,
      message: expect.stringMatching(message),
    });
    expect(await snapshotHost(s.host, service)).toEqual(before);
  }

  function tamper(jws: string, change: (payload: Record<string, unknown>) => void): string {
    const [header, payload, signature] = jws.split('.');
    const body = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    change(body);
    return [header, Buffer.from(JSON.stringify(body)).toString('base64url'), signature].join('.');
  }

  function unsignedWith(
    header: Record<string, unknown>,
    manifest: ReleaseManifest,
    sign: (input: string) => string,
  ): string {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(manifest)).toString('base64url')}`;
    return `${input}.${sign(input)}`;
  }

  it('refuses a tampered payload', async () => {
    const jws = await signRelease(nextManifest(), releaseKey);
    await expectRefused(
      tamper(jws, (p) => void (p.image = s.images.bad.pinned)),
      'SIGNATURE_INVALID',
      /signature/i,
    );
  });

  it('refuses a release signed by an unknown key', async () => {
    const stranger = await generateSigningKey();
    await expectRefused(
      await signRelease(nextManifest(), stranger),
      'SIGNING_KEY_UNKNOWN',
      /not a trusted release key/,
    );
  });

  it('refuses alg none', async () => {
    const jws = unsignedWith(
      { alg: 'none', kid: releaseKey.kid, typ: 'berth-release+jws' },
      nextManifest(),
      () => '',
    );
    await expectRefused(jws, 'SIGNATURE_ALG_REJECTED', /alg "none"; only EdDSA/);
  });

  it('refuses HS256 signed with the public release key as the HMAC secret', async () => {
    const publicX = (releaseKey.privateJwk as { x: string }).x;
    const jws = unsignedWith(
      { alg: 'HS256', kid: releaseKey.kid, typ: 'berth-release+jws' },
      nextManifest(),
      (input) =>
        createHmac('sha256', Buffer.from(publicX, 'base64url')).update(input).digest('base64url'),
    );
    await expectRefused(jws, 'SIGNATURE_ALG_REJECTED', /alg "HS256"; only EdDSA/);
  });

  it('refuses an expired release', async () => {
    const past = Date.now() - 3_600_000;
    const manifest = nextManifest({
      issuedAt: new Date(past).toISOString(),
      expiresAt: new Date(past + 60_000).toISOString(),
    });
    await expectRefused(await signRelease(manifest, releaseKey), 'RELEASE_EXPIRED', /expired/);
  });

  it('refuses a replay of the live release and an older sequence', async () => {
    await expectRefused(
      live.jws,
      'RELEASE_REPLAYED',
      new RegExp(`sequence ${live.manifest.sequence}`),
    );
    const older = await signRelease(
      nextManifest({ sequence: live.manifest.sequence - 1 }),
      releaseKey,
    );
    await expectRefused(older, 'RELEASE_REPLAYED', /is not greater than/);
  });

  it('refuses a release for another fleet', async () => {
    await expectRefused(
      await signRelease(nextManifest({ fleet: 'other' }), releaseKey),
      'FLEET_MISMATCH',
      /for fleet "other", this agent is in fleet "default"/,
    );
  });

  it('refuses a release that does not target this host', async () => {
    const manifest = nextManifest();
    const roles = Object.fromEntries(
      Object.entries(manifest.roles).map(([name, role]) => [name, { ...role, hosts: ['web-9'] }]),
    );
    await expectRefused(
      await signRelease({ ...manifest, roles }, releaseKey),
      'HOST_NOT_TARGETED',
      /web-1/,
    );
  });

  describe('operator tokens on the API', () => {
    async function callStatus(
      authorization?: string,
    ): Promise<{ status: number; body: { code?: string; message?: string } }> {
      const dispatcher = pinnedAgent(s.host.fingerprint);
      try {
        const response = await request(`${s.host.url}/v1/status`, {
          dispatcher,
          headers: authorization ? { authorization } : {},
        });
        return {
          status: response.statusCode,
          body: (await response.body.json()) as { code?: string; message?: string },
        };
      } finally {
        await dispatcher.close();
      }
    }

    it('answers /v1/health without a token', async () => {
      const dispatcher = pinnedAgent(s.host.fingerprint);
      const response = await request(`${s.host.url}/v1/health`, { dispatcher });
      expect(response.statusCode).toBe(200);
      expect(await response.body.json()).toMatchObject({ ok: true, name: 'web-1' });
      await dispatcher.close();
    });

    it('refuses a missing token', async () => {
      expect(await callStatus()).toEqual({
        status: 401,
        body: expect.objectContaining({ code: 'AUTH_REQUIRED' }),
      });
    });

    it('refuses an expired token, a token for another agent, and one from an unknown key', async () => {
      const operator = await loadPrivateKey(s.app.env, 'operator');
      const stranger = await generateSigningKey();
      const expired = await signOperatorToken(operator, {
        audience: 'web-1',
        subject: 'x',
        ttlSeconds: 60,
        now: new Date(Date.now() - 600_000),
      });
      const otherAudience = await signOperatorToken(operator, { audience: 'web-2', subject: 'x' });
      const unknown = await signOperatorToken(stranger, { audience: 'web-1', subject: 'x' });
      for (const [token, message] of [
        [expired, /expired/],
        [otherAudience, /another agent/],
        [unknown, /not a trusted operator key/],
      ] as const) {
        const answer = await callStatus(`Bearer ${token}`);
        expect(answer.status).toBe(401);
        expect(answer.body).toMatchObject({
          code: 'AUTH_INVALID',
          message: expect.stringMatching(message),
        });
        expect(answer.body.message).not.toContain(token);
      }
    });

    it('refuses a release published without a token, changing nothing', async () => {
      const before = await snapshotHost(s.host, service);
      const dispatcher = pinnedAgent(s.host.fingerprint);
      const jws = await signRelease(nextManifest(), releaseKey);
      const response = await request(`${s.host.url}/v1/releases`, {
        method: 'POST',
        dispatcher,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ release: jws }),
      });
      expect(response.statusCode).toBe(401);
      await response.body.dump();
      await dispatcher.close();
      expect(await snapshotHost(s.host, service)).toEqual(before);
    });
  });
});
