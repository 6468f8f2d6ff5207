import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlOutbox } from '../../../agent/puller/control-outbox.ts';
import { ProgressReporter } from '../../../agent/puller/progress-reporter.ts';
import { ReportCursor } from '../../../agent/puller/report-cursor.ts';
import { AgentStore } from '../../../agent/state/agent-store.ts';
import type { AgentReport, ControlReport } from '../../../shared/api/controller-api.ts';
import { BerthError } from '../../../shared/errors.ts';
import { capturedLogger, FakeClock, HOST } from './puller-fixtures.ts';

const applied: ControlReport = {
  service: 'shop',
  sequence: 7,
  outcome: 'applied',
  error: null,
  routes: [{ route: 'shop-web', maintenance: { message: 'soon' }, pause: null }],
};

describe('service control results in agent reports', () => {
  let dir: string;
  let store: AgentStore;
  let clock: FakeClock;
  const reports: AgentReport[] = [];
  let failures = 0;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-control-reports-'));
    clock = new FakeClock();
    store = new AgentStore(join(dir, 'agent.sqlite'), { now: clock.now });
    reports.length = 0;
    failures = 0;
  });

  afterEach(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function reporter(controlOutbox?: ControlOutbox): Promise<ProgressReporter> {
    return new ProgressReporter({
      ...(controlOutbox ? { controlOutbox } : {}),
      link: {
        async sendReport(report) {
          if (failures-- > 0) throw new BerthError('HOST_UNREACHABLE', 'controller did not answer');
          reports.push(structuredClone(report));
        },
      },
      store,
      describeHost: async () => ({ host: HOST, fleet: 'production', services: [], sequences: {} }),
      cursor: await ReportCursor.load(join(dir, 'report-cursor.json')),
      logger: capturedLogger().logger,
      clock,
    });
  }

  it('sends a result at once, keeps it through a failed send, and sends it only once', async () => {
    const subject = await reporter();
    await subject.reportOnce();
    expect(reports[0]).not.toHaveProperty('controls');
    await subject.addControlResult(applied);
    failures = 1;
    await expect(subject.reportOnce()).rejects.toThrow(/did not answer/);
    expect(await subject.reportOnce()).toBe('sent');
    expect(reports[1]?.controls).toEqual([applied]);
    expect(await subject.reportOnce()).toBe('idle');
  });

  it('clips a long refusal message', async () => {
    const subject = await reporter();
    await subject.addControlResult({
      ...applied,
      outcome: 'refused',
      error: { code: 'CONTROL_EXPIRED', message: 'x'.repeat(20_000) },
      routes: [],
    });
    await subject.reportOnce();
    expect(reports[0]?.controls?.[0]?.error?.message.length).toBe(16_384);
  });

  it('keeps an unsent result across an agent restart, and forgets it once the controller has it', async () => {
    const path = join(dir, 'control-results.json');
    const before = await reporter(await ControlOutbox.load(path));
    failures = 1;
    await before.addControlResult(applied);
    await expect(before.reportOnce()).rejects.toThrow(/did not answer/);
    const after = await reporter(await ControlOutbox.load(path));
    expect(await after.reportOnce()).toBe('sent');
    expect(reports.at(-1)?.controls).toEqual([applied]);
    expect((await ControlOutbox.load(path)).pending).toEqual([]);
  });
});
