import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuditEntry,
  PublishedRelease,
  ReleaseHistoryEntry,
} from '../../../shared/api/controller-api.ts';
import { generateSigningKey } from '../../../shared/keys/index.ts';
import { ControllerHarness } from './controller-harness.ts';

let harness: ControllerHarness;
beforeEach(async () => {
  harness = await ControllerHarness.create();
  await harness.joinedHost('app-1');
  await harness.joinedHost('app-2');
});
afterEach(() => harness.close());

async function refusal(jws: string): Promise<{ status: number; code: string }> {
  const response = await harness.publish(jws);
  return { status: response.statusCode, code: response.json<{ code: string }>().code };
}

async function history(): Promise<ReleaseHistoryEntry[]> {
  return (await harness.get('/v1/releases?service=shop')).json<{
    releases: ReleaseHistoryEntry[];
  }>().releases;
}

describe('POST /v1/releases', () => {
  it('stores a verified release, marks each target pending and records who published it', async () => {
    const jws = await harness.signedRelease(7, ['app-1', 'app-2']);
    const response = await harness.publish(jws, 'carol');
    expect(response.statusCode).toBe(201);
    expect(response.json<PublishedRelease>()).toEqual({
      service: 'shop',
      sequence: 7,
      version: 'v7',
      targets: ['app-1', 'app-2'],
    });
    expect(await history()).toEqual([
      expect.objectContaining({
        service: 'shop',
        sequence: 7,
        version: 'v7',
        issuedBy: 'ci@acme',
        publishedBy: 'carol',
        publishedAt: harness.now().toISOString(),
        rollbackOf: null,
        hosts: { 'app-1': 'pending', 'app-2': 'pending' },
        jws,
      }),
    ]);
    const { entries } = (await harness.get('/v1/audit')).json<{ entries: AuditEntry[] }>();
    expect(entries[0]).toMatchObject({ actor: 'carol', action: 'release.publish' });
    expect(entries[0]?.detail).toContain('shop #7 v7');
    expect(entries[0]?.detail).toContain('app-1, app-2');
  });

  it('refuses a body that is not a JWS (SIGNATURE_INVALID) or not {release} (USAGE)', async () => {
    expect(await refusal('not-a-jws')).toEqual({ status: 403, code: 'SIGNATURE_INVALID' });
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`;
    expect(await refusal(unsigned)).toEqual({ status: 403, code: 'SIGNATURE_ALG_REJECTED' });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/releases',
      headers: await harness.operatorAuth(),
      payload: { jws: 'x' },
    });
    expect(response.json()).toMatchObject({ code: 'USAGE' });
  });

  it('refuses a release signed by a key the controller does not trust (SIGNING_KEY_UNKNOWN)', async () => {
    const jws = await harness.signedRelease(7, ['app-1'], {}, await generateSigningKey());
    expect(await refusal(jws)).toEqual({ status: 403, code: 'SIGNING_KEY_UNKNOWN' });
  });

  it('refuses a tampered payload (SIGNATURE_INVALID)', async () => {
    const [header, payload, signature] = (await harness.signedRelease(7, ['app-1'])).split('.');
    const manifest = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      sequence: number;
    };
    manifest.sequence = 8;
    const forged = `${header}.${Buffer.from(JSON.stringify(manifest)).toString('base64url')}.${signature}`;
    expect(await refusal(forged)).toEqual({ status: 403, code: 'SIGNATURE_INVALID' });
    expect(await history()).toEqual([]);
  });

  it('refuses a sequence not above the highest published for the service (RELEASE_REPLAYED)', async () => {
    const first = await harness.signedRelease(7, ['app-1']);
    expect((await harness.publish(first)).statusCode).toBe(201);
    expect(await refusal(first)).toEqual({ status: 409, code: 'RELEASE_REPLAYED' });
    expect(await refusal(await harness.signedRelease(6, ['app-1']))).toEqual({
      status: 409,
      code: 'RELEASE_REPLAYED',
    });
    expect((await harness.publish(await harness.signedRelease(8, ['app-1']))).statusCode).toBe(201);
  });

  it('refuses targets that are unknown, pending or removed, naming each (HOST_UNKNOWN)', async () => {
    await harness.addHost('app-3');
    const response = await harness.publish(
      await harness.signedRelease(7, ['app-1', 'app-3', 'ghost']),
    );
    expect(response.statusCode).toBe(400);
    const body = response.json<{ code: string; message: string }>();
    expect(body.code).toBe('HOST_UNKNOWN');
    expect(body.message).toContain('"app-3" has not joined yet');
    expect(body.message).toContain('"ghost" is not registered');
    expect(body.message).not.toContain('app-1');
    expect(await history()).toEqual([]);
  });

  it('refuses another fleet (FLEET_MISMATCH) and an expired release (RELEASE_EXPIRED)', async () => {
    expect(await refusal(await harness.signedRelease(7, ['app-1'], { fleet: 'staging' }))).toEqual({
      status: 403,
      code: 'FLEET_MISMATCH',
    });
    harness.advance(8 * 86_400_000);
    expect(await refusal(await harness.signedRelease(7, ['app-1']))).toEqual({
      status: 403,
      code: 'RELEASE_EXPIRED',
    });
  });

  it('needs an operator token signed by a trusted operator key', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/releases',
      headers: await harness.operatorAuth('mallory', await generateSigningKey()),
      payload: { release: await harness.signedRelease(7, ['app-1']) },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'AUTH_INVALID' });
  });
});

describe('GET /v1/audit', () => {
  it('records host additions, joins, removals and publications, newest first', async () => {
    await harness.publish(await harness.signedRelease(7, ['app-1']), 'carol');
    await harness.app.inject({
      method: 'DELETE',
      url: '/v1/hosts/app-2',
      headers: await harness.operatorAuth('dave'),
    });
    const { entries } = (await harness.get('/v1/audit?limit=10')).json<{
      entries: AuditEntry[];
    }>();
    expect(entries.map((entry) => [entry.actor, entry.action])).toEqual([
      ['dave', 'host.remove'],
      ['carol', 'release.publish'],
      ['app-2', 'host.join'],
      ['alice', 'host.add'],
      ['app-1', 'host.join'],
      ['alice', 'host.add'],
    ]);
    expect(entries.every((entry) => entry.at === harness.now().toISOString())).toBe(true);
  });
});
