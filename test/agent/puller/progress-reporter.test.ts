import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControllerLink } from '../../../agent/puller/controller-link.ts';
import { ProgressReporter } from '../../../agent/puller/progress-reporter.ts';
import { ReportCursor } from '../../../agent/puller/report-cursor.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import type { AgentStatus } from '../../../shared/api/agent-api.ts';
import type { AgentReport } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { generateSigningKey } from '../../../shared/keys/index.ts';
import { FakeController } from './fake-controller.ts';
import { capturedLogger, CONTROLLER_NAME, eventually, FakeClock, HOST } from './puller-fixtures.ts';

class RecordingLink {
  readonly reports: AgentReport[] = [];
  failures = 0;

  async sendReport(report: AgentReport): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new BerthError('HOST_UNREACHABLE', 'controller did not answer');
    }
    this.reports.push(structuredClone(report));
  }
}

const status: AgentStatus = {
  host: HOST,
  fleet: 'production',
  services: [
    {
      service: 'shop',
      role: 'web',
      version: 'v1',
      sequence: 1,
      state: 'live',
      health: 'running',
      since: null,
      container: 'shop-web-v1-app-1-1',
    },
  ],
  sequences: { shop: { live: 1, highest: 1 } },
};

describe('progress reporter', () => {
  let dir: string;
  let store: AgentStore;
  let clock: FakeClock;
  let link: RecordingLink;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-reporter-'));
    clock = new FakeClock();
    store = new AgentStore(join(dir, 'agent.sqlite'), { now: clock.now });
    link = new RecordingLink();
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function reporter(options: { link?: Pick<ControllerLink, 'sendReport'> } = {}) {
    return new ProgressReporter({
      link: options.link ?? link,
      store,
      describeHost: async () => status,
      cursor: await ReportCursor.load(join(dir, 'report-cursor.json')),
      logger: capturedLogger().logger,
      clock,
    });
  }

  function accept(sequence: number): number {
    const release = {
      service: 'shop',
      sequence,
      version: `v${sequence}`,
      image: 'x@sha256:00',
      issuedBy: 'ci',
      jws: 'a.b.c',
      receivedAt: '',
    };
    return store.acceptRelease(release, null).id;
  }

  const steps = (report: AgentReport | undefined) =>
    report?.progress.flatMap((p) => p.events.map((e) => `${p.sequence}:${e.step}`));

  it('sends each deployment event once, with the host status, and then only new ones', async () => {
    const subject = await reporter();
    const id = accept(1);
    store.transition(id, 'pulling', 'pulling x');
    expect(await subject.reportOnce()).toBe('sent');
    expect(steps(link.reports[0])).toEqual(['1:received', '1:pulling']);
    expect(link.reports[0]?.status).toEqual({
      services: status.services,
      sequences: status.sequences,
    });
    expect(link.reports[0]?.progress[0]).toMatchObject({
      service: 'shop',
      sequence: 1,
      state: 'pulling',
    });

    expect(await subject.reportOnce()).toBe('idle');
    store.transition(id, 'starting', 'starting web');
    store.completeDeployment(id, 'v1 is live');
    expect(await subject.reportOnce()).toBe('sent');
    expect(steps(link.reports[1])).toEqual(['1:starting', '1:done']);
    expect(link.reports[1]?.progress[0]?.state).toBe('done');
    expect(link.reports).toHaveLength(2);
  });

  it('neither resends nor loses events across a restart (the cursor is on disk)', async () => {
    const first = await reporter();
    const done = accept(1);
    store.completeDeployment(done, 'v1 is live');
    const running = accept(2);
    await first.reportOnce();
    store.transition(running, 'pulling', 'pulling');

    const second = await reporter();
    await second.reportOnce();
    expect(steps(link.reports[1])).toEqual(['2:pulling']);
    const cursor = JSON.parse(await readFile(join(dir, 'report-cursor.json'), 'utf8')) as {
      watermark: number;
    };
    expect(cursor.watermark).toBe(done);
  });

  it('sends a heartbeat every 15 s when nothing happens', async () => {
    const subject = await reporter();
    expect(await subject.reportOnce()).toBe('sent');
    clock.advance(14_000);
    expect(await subject.reportOnce()).toBe('idle');
    clock.advance(1_000);
    expect(await subject.reportOnce()).toBe('sent');
    expect(link.reports.map((r) => r.progress.length)).toEqual([0, 0]);
    expect(link.reports[1]?.status.sequences).toEqual(status.sequences);
  });

  it('keeps events and refusals through a failed send and delivers them with the next', async () => {
    const subject = await reporter();
    accept(1);
    subject.addRefusal({ service: 'shop', sequence: 9, code: 'FLEET_MISMATCH', message: 'no' });
    link.failures = 1;
    await expect(subject.reportOnce()).rejects.toThrow(/did not answer/);
    await subject.reportOnce();
    expect(link.reports).toHaveLength(1);
    expect(steps(link.reports[0])).toEqual(['1:received']);
    expect(link.reports[0]?.refusals).toEqual([
      { service: 'shop', sequence: 9, code: 'FLEET_MISMATCH', message: 'no' },
    ]);
    clock.advance(15_000);
    await subject.reportOnce();
    expect(link.reports[1]?.refusals).toEqual([]);
  });

  it('retries failed sends with backoff, then reports at the active pace while a deployment runs', async () => {
    link.failures = 3;
    accept(1);
    const subject = await reporter();
    subject.start();
    await eventually(() => link.reports.length === 1 && clock.sleeps.length >= 4, 'a sent report');
    await subject.stop();
    expect(clock.sleeps.slice(0, 4)).toEqual([500, 1000, 2000, 500]);
  });

  it('reaches the controller over HTTPS with a token signed by the host key', async () => {
    const controller = await FakeController.start();
    const agentKey = await generateSigningKey();
    controller.agentKey = { kid: agentKey.kid, jwk: agentKey.publicJwk };
    const httpsLink = new ControllerLink({
      url: controller.url,
      fingerprint: controller.fingerprint,
      controllerName: CONTROLLER_NAME,
      hostName: HOST,
      signingKey: agentKey,
      now: () => new Date(),
    });
    try {
      accept(1);
      await (await reporter({ link: httpsLink })).reportOnce();
      expect(controller.reports).toHaveLength(1);
      expect(controller.reports[0]?.progress[0]?.events[0]?.step).toBe('received');
    } finally {
      await httpsLink.close();
      await controller.close();
    }
  });
});
