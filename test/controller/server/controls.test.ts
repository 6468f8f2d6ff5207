import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AgentPollAnswer,
  AgentReport,
  AuditEntry,
  ControlHistoryEntry,
  ControlReport,
  PublishedControl,
} from '../../../shared/api/controller-api.ts';
import { generateSigningKey, type KeyPair } from '../../../shared/keys/index.ts';
import type { ServiceControlInput } from '../../../shared/manifest/control-schema.ts';
import { signControl } from '../../../shared/manifest/control-signing.ts';
import { encodeKnownSequences } from '../../../controller/server/known-sequences.ts';
import { ControllerHarness, FLEET, type AgentIdentity } from './controller-harness.ts';

let harness: ControllerHarness;
let app1: AgentIdentity;
let app2: AgentIdentity;

beforeEach(async () => {
  harness = await ControllerHarness.create({ longPollMaxMs: 5_000 });
  app1 = await harness.joinedHost('app-1');
  app2 = await harness.joinedHost('app-2');
});
afterEach(() => harness.close());

async function signed(
  sequence: number,
  overrides: Partial<ServiceControlInput> = {},
  key: KeyPair = harness.release,
): Promise<string> {
  const issuedAt = harness.now();
  return signControl(
    {
      schema: 1,
      fleet: FLEET,
      service: 'shop',
      hosts: ['app-1', 'app-2'],
      sequence,
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + 600_000).toISOString(),
      issuedBy: 'ops@acme',
      action: 'maintenance-on',
      message: 'Back soon',
      ...overrides,
    },
    key,
  );
}

async function upload(jws: string, subject = 'alice') {
  return harness.app.inject({
    method: 'POST',
    url: '/v1/controls',
    headers: await harness.operatorAuth(subject),
    payload: { control: jws },
  });
}

async function poll(agent: AgentIdentity, controls?: Record<string, number>, waitMs = 0) {
  const query = controls === undefined ? '' : `&controls=${encodeKnownSequences(controls)}`;
  return harness.app.inject({
    method: 'GET',
    url: `/v1/agents/${agent.name}/releases?known=${encodeKnownSequences({})}&waitMs=${waitMs}${query}`,
    headers: await harness.agentAuth(agent),
  });
}

function report(controls: ControlReport[]): AgentReport {
  return { status: { services: [], sequences: {} }, progress: [], refusals: [], controls };
}

const applied = (sequence: number): ControlReport => ({
  service: 'shop',
  sequence,
  outcome: 'applied',
  error: null,
  routes: [{ route: 'shop-web', maintenance: { message: 'Back soon' }, pause: null }],
});

describe('POST /v1/controls', () => {
  it('stores a verified control for its targets and records who issued it', async () => {
    const response = await upload(await signed(10), 'carol');
    expect(response.statusCode).toBe(201);
    expect(response.json<PublishedControl>()).toEqual({
      service: 'shop',
      sequence: 10,
      action: 'maintenance-on',
      targets: ['app-1', 'app-2'],
      expiresAt: new Date(harness.nowMs + 600_000).toISOString(),
    });
    const { entries } = (await harness.get('/v1/audit')).json<{ entries: AuditEntry[] }>();
    expect(entries[0]).toMatchObject({ actor: 'carol', action: 'control.publish' });
    expect(entries[0]?.detail).toContain('shop #10 maintenance on ("Back soon") to app-1, app-2');
    expect(entries[0]?.detail).toContain('signed by ops@acme');
    const { controls } = (await harness.get('/v1/controls?service=shop')).json<{
      controls: ControlHistoryEntry[];
    }>();
    expect(
      controls.map((c) => [c.sequence, c.publishedBy, c.settled, c.hosts['app-1']?.state]),
    ).toEqual([[10, 'carol', 0, 'pending']]);
  });

  it.each([
    [
      'an unknown key',
      async () => signed(10, {}, await generateSigningKey()),
      403,
      'SIGNING_KEY_UNKNOWN',
    ],
    ['another fleet', () => signed(10, { fleet: 'staging' }), 403, 'FLEET_MISMATCH'],
    ['an unknown host', () => signed(10, { hosts: ['app-9'] }), 400, 'HOST_UNKNOWN'],
    [
      'an expired control',
      () =>
        signed(10, { issuedAt: '2026-11-21T10:00:00.000Z', expiresAt: '2026-11-21T10:10:00.000Z' }),
      403,
      'CONTROL_EXPIRED',
    ],
  ])('refuses %s and stores nothing', async (_what, make, status, code) => {
    const response = await upload(await make());
    expect([response.statusCode, response.json<{ code: string }>().code]).toEqual([status, code]);
    expect((await harness.get('/v1/controls')).json()).toEqual({ controls: [] });
  });

  it('refuses a sequence not above the highest stored for the service, and a release JWS', async () => {
    expect((await upload(await signed(10))).statusCode).toBe(201);
    const replay = await upload(
      await signed(10, { action: 'maintenance-off', message: undefined }),
    );
    expect([replay.statusCode, replay.json<{ code: string }>().code]).toEqual([
      409,
      'CONTROL_REPLAYED',
    ]);
    const release = await upload(await harness.signedRelease(11, ['app-1']));
    expect(release.json<{ code: string }>().code).toBe('SIGNATURE_INVALID');
  });

  it('needs an operator token', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/controls',
      payload: { control: await signed(10) },
    });
    expect(response.statusCode).toBe(401);
  });
});

describe('controls on the agent poll', () => {
  it('hands pending controls above what the agent decided on, oldest first; none to an agent that does not ask', async () => {
    const first = await signed(10);
    const second = await signed(11, { action: 'pause', message: undefined, maxPauseMs: 5_000 });
    await upload(first);
    await upload(second);
    expect((await poll(app1)).json<AgentPollAnswer>()).toEqual({ releases: [] });
    expect((await poll(app1, {})).json<AgentPollAnswer>()).toEqual({
      releases: [],
      controls: [first, second],
    });
    expect((await poll(app1, { shop: 10 })).json<AgentPollAnswer>().controls).toEqual([second]);
    expect((await harness.report(app1, report([applied(10), applied(11)]))).statusCode).toBe(204);
    expect((await poll(app1, {})).json<AgentPollAnswer>().controls).toEqual([]);
    expect((await poll(app2, { shop: 0 })).json<AgentPollAnswer>().controls).toEqual([
      first,
      second,
    ]);
  });

  it('wakes a held poll when a control for the host is uploaded', async () => {
    const held = poll(app1, {}, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(harness.agentPolls.isHeld('app-1')).toBe(true);
    const jws = await signed(10, { hosts: ['app-1'] });
    await upload(jws);
    expect((await held).json<AgentPollAnswer>().controls).toEqual([jws]);
  });
});

describe('following a control', () => {
  it('records each host’s result once, and wakes the operator following it', async () => {
    await upload(await signed(10));
    const following = harness.get('/v1/controls/shop/10?settled=0&waitMs=5000');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await harness.report(app1, report([applied(10)]));
    const entry = (await following).json<ControlHistoryEntry>();
    expect(entry.settled).toBe(1);
    expect(entry.hosts['app-1']).toMatchObject({ state: 'applied', error: null });
    expect(entry.hosts['app-1']?.routes[0]?.maintenance).toEqual({ message: 'Back soon' });

    const refused: ControlReport = {
      service: 'shop',
      sequence: 10,
      outcome: 'refused',
      error: { code: 'CONTROL_EXPIRED', message: 'control shop #10 expired' },
      routes: [],
    };
    await harness.report(app2, report([refused]));
    // A second word on the same control, or a control not for the host, changes nothing.
    await harness.report(app2, report([applied(10), { ...applied(99) }]));
    const done = (
      await harness.get('/v1/controls/shop/10?settled=1&waitMs=5000')
    ).json<ControlHistoryEntry>();
    expect(done.settled).toBe(2);
    expect(done.hosts['app-2']).toMatchObject({
      state: 'refused',
      error: refused.error,
      routes: [],
    });
  });

  it('shows a control still pending past its expiry as expired', async () => {
    await upload(await signed(10));
    harness.advance(600_000);
    const entry = (await harness.get('/v1/controls/shop/10')).json<ControlHistoryEntry>();
    expect(entry.hosts['app-1']?.state).toBe('expired');
    expect((await harness.get('/v1/controls/shop/11')).statusCode).toBe(404);
  });

  it('accepts reports without controls, as agents from before controls send them', async () => {
    const response = await harness.report(app1, {
      status: { services: [], sequences: {} },
      progress: [],
      refusals: [],
    });
    expect(response.statusCode).toBe(204);
  });
});
