import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentRoleStatus } from '../../../shared/api/agent-api.ts';
import type {
  AgentReport,
  DeploymentProgressReport,
  FleetStatus,
  ReleaseProgress,
} from '../../../shared/api/controller-api.ts';
import { ControllerHarness, type AgentIdentity } from './controller-harness.ts';
import { until } from './until.ts';

let harness: ControllerHarness;
let app1: AgentIdentity;
let app2: AgentIdentity;

beforeEach(async () => {
  harness = await ControllerHarness.create({ longPollMaxMs: 2_000 });
  app1 = await harness.joinedHost('app-1');
  app2 = await harness.joinedHost('app-2');
  await harness.publish(await harness.signedRelease(7, ['app-1', 'app-2']));
});
afterEach(() => harness.close());

const webRole: AgentRoleStatus = {
  service: 'shop',
  role: 'web',
  version: 'v7',
  sequence: 7,
  state: 'running',
  health: 'healthy',
  since: '2026-11-21T12:00:00.000Z',
  container: 'shop-web-7',
};

function progressReport(
  state: string,
  steps: string[],
  extra: Partial<DeploymentProgressReport> = {},
): AgentReport {
  return {
    status: { services: [webRole], sequences: { shop: { live: 7, highest: 7 } } },
    progress: [
      {
        service: 'shop',
        sequence: 7,
        state,
        error: null,
        events: steps.map((step, index) => ({
          id: 100 + index,
          at: '2026-11-21T12:00:00.000Z',
          step,
          role: 'web',
          message: `${step} step`,
          data: null,
        })),
        ...extra,
      },
    ],
    refusals: [],
  };
}

async function progress(query = ''): Promise<ReleaseProgress> {
  return (await harness.get(`/v1/releases/shop/7/progress${query}`)).json<ReleaseProgress>();
}

describe('POST /v1/agents/:name/reports', () => {
  it('updates the host state, appends its events and stores its status', async () => {
    expect(
      (await harness.report(app1, progressReport('pulling', ['received', 'pulling']))).statusCode,
    ).toBe(204);
    expect((await harness.report(app1, progressReport('done', ['done']))).statusCode).toBe(204);
    const answer = await progress();
    expect(answer.hosts['app-1']?.state).toBe('done');
    expect(answer.hosts['app-1']?.events.map((event) => event.step)).toEqual([
      'received',
      'pulling',
      'done',
    ]);
    expect(answer.hosts['app-2']).toEqual({ state: 'pending', error: null, events: [] });
    const ids = answer.hosts['app-1']?.events.map((event) => event.id) ?? [];
    expect(answer.cursor).toBe(Math.max(...ids));
    const status = (await harness.get('/v1/status')).json<FleetStatus>();
    expect(status.hosts.find((host) => host.name === 'app-1')?.services).toEqual([webRole]);
    expect(status.hosts.find((host) => host.name === 'app-2')?.services).toEqual([]);
  });

  it('keeps the error of a failed deployment', async () => {
    const error = { code: 'HEALTH_CHECK_FAILED', message: 'no 2xx from /up', details: ['boom'] };
    await harness.report(app1, progressReport('failed', ['failed'], { error }));
    expect((await progress()).hosts['app-1']).toMatchObject({ state: 'failed', error });
  });

  it('records a refusal as state refused with its code and message', async () => {
    await harness.report(app2, {
      status: { services: [], sequences: {} },
      progress: [],
      refusals: [{ service: 'shop', sequence: 7, code: 'RELEASE_EXPIRED', message: 'too late' }],
    });
    const host = (await progress()).hosts['app-2'];
    expect(host).toMatchObject({
      state: 'refused',
      error: { code: 'RELEASE_EXPIRED', message: 'too late', details: [] },
    });
    expect(host?.events.map((event) => event.step)).toEqual(['refused']);
  });

  it('ignores progress for releases that do not target the reporting host', async () => {
    await harness.publish(await harness.signedRelease(8, ['app-2']));
    const report = progressReport('done', ['done']);
    const [entry] = report.progress;
    if (entry) entry.sequence = 8;
    expect((await harness.report(app1, report)).statusCode).toBe(204);
    const answer = (await harness.get('/v1/releases/shop/8/progress')).json<ReleaseProgress>();
    expect(Object.keys(answer.hosts)).toEqual(['app-2']);
    expect(answer.hosts['app-2']?.state).toBe('pending');
  });

  it('takes a report as large as an agent sends after a long outage (500 events of 16 KiB)', async () => {
    const report = progressReport(
      'done',
      Array.from({ length: 500 }, () => 'pulling'),
    );
    for (const event of report.progress[0]?.events ?? []) event.message = 'x'.repeat(16_384);
    expect((await harness.report(app1, report)).statusCode).toBe(204);
    expect((await progress()).hosts['app-1']?.events).toHaveLength(500);
  });

  it('refuses a malformed report', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/agents/app-1/reports',
      headers: await harness.agentAuth(app1),
      payload: { status: 'fine' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'USAGE' });
  });
});

describe('GET /v1/releases/:service/:sequence/progress', () => {
  it('returns only the events after the cursor', async () => {
    await harness.report(app1, progressReport('pulling', ['received', 'pulling']));
    const first = await progress();
    await harness.report(app1, progressReport('done', ['done']));
    const next = await progress(`?after=${first.cursor}`);
    expect(next.hosts['app-1']?.events.map((event) => event.step)).toEqual(['done']);
    expect(next.cursor).toBeGreaterThan(first.cursor);
  });

  it('holds until an agent reports, then answers with the news', async () => {
    const { cursor } = await progress();
    const held = harness.get(`/v1/releases/shop/7/progress?after=${cursor}&waitMs=2000`);
    await until(() => harness.progressPolls.heldCount === 1);
    await harness.report(app2, progressReport('pulling', ['pulling']));
    const answer = (await held).json<ReleaseProgress>();
    expect(answer.hosts['app-2']?.events.map((event) => event.step)).toEqual(['pulling']);
    expect(answer.cursor).toBeGreaterThan(cursor);
  });

  it('answers unchanged when waitMs passes without news', async () => {
    const started = Date.now();
    const answer = (
      await harness.get('/v1/releases/shop/7/progress?after=0&waitMs=100')
    ).json<ReleaseProgress>();
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(answer.cursor).toBe(0);
    expect(answer.hosts['app-1']).toEqual({ state: 'pending', error: null, events: [] });
  });

  it('answers 404 for a release never published', async () => {
    const response = await harness.get('/v1/releases/shop/99/progress');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});
