import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostRecord } from '../../../shared/api/controller-api.ts';
import { verifyReleaseSignature } from '../../../shared/manifest/signing.ts';
import { ControllerHarness, type AgentIdentity } from './controller-harness.ts';
import { until } from './until.ts';

let harness: ControllerHarness;
let app1: AgentIdentity;
let app2: AgentIdentity;

beforeEach(async () => {
  harness = await ControllerHarness.create({ longPollMaxMs: 2_000 });
  app1 = await harness.joinedHost('app-1');
  app2 = await harness.joinedHost('app-2');
});
afterEach(() => harness.close());

async function published(sequence: number, hosts: string[], service = 'shop'): Promise<string> {
  const jws = await harness.signedRelease(sequence, hosts, { service });
  const response = await harness.publish(jws);
  expect(response.statusCode).toBe(201);
  return jws;
}

function releasesOf(response: { json<T>(): T }): string[] {
  return response.json<{ releases: string[] }>().releases;
}

describe('GET /v1/agents/:name/releases', () => {
  it('answers at once with a release newer than what the agent knows', async () => {
    const jws = await published(3, ['app-1']);
    const started = Date.now();
    const response = await harness.poll(app1, {}, 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(releasesOf(response)).toEqual([jws]);
    expect(releasesOf(await harness.poll(app1, { shop: 2 }))).toEqual([jws]);
    expect(releasesOf(await harness.poll(app1, { shop: 3 }))).toEqual([]);
    expect(releasesOf(await harness.poll(app2))).toEqual([]);
  });

  it('hands an agent that was offline only the newest release per service', async () => {
    await published(3, ['app-1']);
    await published(4, ['app-1', 'app-2']);
    const latestShop = await published(5, ['app-1']);
    const latestJobs = await published(1, ['app-1'], 'jobs');
    const releases = releasesOf(await harness.poll(app1, { shop: 2 }));
    expect(releases).toHaveLength(2);
    expect(new Set(releases)).toEqual(new Set([latestShop, latestJobs]));
    const sequences = await Promise.all(
      releasesOf(await harness.poll(app2)).map(async (jws) => {
        const manifest = await verifyReleaseSignature(jws, [
          { kid: harness.release.kid, jwk: harness.release.publicJwk },
        ]);
        return manifest.sequence;
      }),
    );
    expect(sequences).toEqual([4]);
  });

  it('marks older releases still pending on a host superseded when a newer one is published', async () => {
    await published(3, ['app-1', 'app-2']);
    await published(4, ['app-1']);
    const { releases } = (await harness.get('/v1/releases?service=shop')).json<{
      releases: { sequence: number; hosts: Record<string, string> }[];
    }>();
    expect(releases.map((release) => [release.sequence, release.hosts])).toEqual([
      [4, { 'app-1': 'pending' }],
      [3, { 'app-1': 'superseded', 'app-2': 'pending' }],
    ]);
  });

  it('holds the poll until a publish for this host wakes it', async () => {
    const poll = harness.poll(app1, { shop: 2 }, 2_000);
    await until(() => harness.agentPolls.isHeld('app-1'));
    await published(3, ['app-2']);
    expect(harness.agentPolls.isHeld('app-1')).toBe(true);
    const jws = await published(4, ['app-1', 'app-2']);
    expect(releasesOf(await poll)).toEqual([jws]);
    expect(harness.agentPolls.heldCount).toBe(0);
  });

  it('answers empty when waitMs passes without news', async () => {
    const started = Date.now();
    const response = await harness.poll(app1, {}, 100);
    expect(response.statusCode).toBe(200);
    expect(releasesOf(response)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(harness.agentPolls.heldCount).toBe(0);
  });

  it('holds no longer than longPollMaxMs, whatever waitMs asks for', async () => {
    const short = await ControllerHarness.create({ longPollMaxMs: 100 });
    try {
      const agent = await short.joinedHost('app-1');
      const started = Date.now();
      expect(releasesOf(await short.poll(agent, {}, 60_000))).toEqual([]);
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await short.close();
    }
  });

  it('refuses a held poll with HOST_REVOKED as soon as the host is removed', async () => {
    const poll = harness.poll(app1, {}, 2_000);
    await until(() => harness.agentPolls.isHeld('app-1'));
    await harness.app.inject({
      method: 'DELETE',
      url: '/v1/hosts/app-1',
      headers: await harness.operatorAuth(),
    });
    const response = await poll;
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'HOST_REVOKED' });
  });

  it('records when each host was last seen', async () => {
    harness.advance(5_000);
    await harness.poll(app1);
    const { hosts } = (await harness.get('/v1/hosts')).json<{ hosts: HostRecord[] }>();
    expect(hosts.find((host) => host.name === 'app-1')?.lastSeenAt).toBe(
      harness.now().toISOString(),
    );
    expect(hosts.find((host) => host.name === 'app-2')?.lastSeenAt).toBeNull();
  });

  it('refuses a known parameter that is not base64url JSON of sequences', async () => {
    for (const known of ['%%%', Buffer.from('{"shop":"x"}').toString('base64url')]) {
      const response = await harness.app.inject({
        method: 'GET',
        url: `/v1/agents/app-1/releases?known=${known}`,
        headers: await harness.agentAuth(app1),
      });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ code: 'USAGE' });
    }
  });

  it('answers held polls when the server closes, so close() does not wait for them', async () => {
    const poll = harness.poll(app1, {}, 2_000);
    await until(() => harness.agentPolls.isHeld('app-1'));
    const started = Date.now();
    await harness.app.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(releasesOf(await poll)).toEqual([]);
  });
});
