import { describe, expect, it } from 'vitest';
import { ReleaseIntake } from '../../../agent/puller/release-intake.ts';
import { ReleasePoller } from '../../../agent/puller/release-poller.ts';
import { backoffDelayMs } from '../../../agent/puller/retry-schedule.ts';
import { BerthError } from '../../../shared/errors.ts';
import { capturedLogger, eventually, FakeClock, FakeDeployer } from './puller-fixtures.ts';

describe('backoff', () => {
  it('draws uniformly below a cap that doubles from 1 s to 60 s', () => {
    expect([0, 1, 2, 5, 6, 7, 40].map((attempt) => backoffDelayMs(attempt, () => 0.999))).toEqual([
      999, 1998, 3996, 31968, 59940, 59940, 59940,
    ]);
    expect(backoffDelayMs(3, () => 0)).toBe(0);
  });

  it('starts over after a success, logging the outage once and the recovery once', async () => {
    const outcomes = ['fail', 'fail', 'ok', 'fail', 'ok'];
    const link = {
      async poll(): Promise<{ releases: string[]; controls: string[] }> {
        const outcome = outcomes.shift() ?? 'ok';
        if (outcome === 'fail') throw new BerthError('HOST_UNREACHABLE', 'down');
        return { releases: [], controls: [] };
      },
    };
    const clock = new FakeClock();
    const log = capturedLogger();
    const deployer = new FakeDeployer();
    const intake = new ReleaseIntake({
      verifyRelease: () => Promise.reject(new Error('unused')),
      deployer,
      highestSequences: () => ({}),
      refuse: () => undefined,
      started: () => undefined,
      logger: log.logger,
      clock,
    });
    const poller = new ReleasePoller({ link, intake, logger: log.logger, clock });
    poller.start();
    await eventually(() => outcomes.length === 0, 'all outcomes');
    await poller.stop();
    expect(clock.sleeps.slice(0, 4)).toEqual([500, 1000, 1000, 500]);
    const messages = log.lines().map((line) => String(line.msg));
    expect(messages.filter((m) => m.includes('no answer'))).toHaveLength(2);
    expect(messages.filter((m) => m.includes('answering again'))).toHaveLength(2);
  });
});
