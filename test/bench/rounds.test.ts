import { describe, expect, it } from 'vitest';
import { formatResultsTable } from '../../bench/lib/results-table.ts';
import {
  median,
  roundsMeetingTarget,
  summarize,
  type TargetRounds,
} from '../../bench/lib/rounds.ts';

function run(requestsPerSecond: number, p99Ms: number, errors = 0) {
  return {
    result: { requestsPerSecond, p50Ms: p99Ms / 3, p99Ms, errors },
    cpuMicrosPerRequest: 20,
  };
}

const targets: TargetRounds[] = [
  { name: 'nginx', rounds: [run(40_000, 3), run(30_000, 2), run(40_000, 4)] },
  // Round 2 ran while the box was slow for both: against nginx's round 2 it still meets the target.
  { name: 'berth', rounds: [run(36_000, 4.4), run(28_000, 3.2), run(30_000, 4)] },
];

describe('bench rounds', () => {
  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('compares each round with the baseline run of the same round', () => {
    const [, berth] = summarize(targets, 'nginx');
    expect(berth?.requestsPerSecond).toBe(30_000);
    expect(berth?.p99Ms).toBe(4);
    expect(berth?.rateRatios).toEqual([0.9, 28_000 / 30_000, 0.75]);
    expect(berth?.p99Ratios.map((ratio) => ratio.toFixed(2))).toEqual(['1.47', '1.60', '1.00']);
  });

  it('counts the rounds that met both halves of the target', () => {
    const [nginx, berth] = summarize(targets, 'nginx');
    // Round 1 meets both; round 2 misses on p99 (1.6×); round 3 misses on req/s (0.75×).
    expect(berth === undefined ? -1 : roundsMeetingTarget(berth)).toBe(1);
    expect(nginx === undefined ? -1 : roundsMeetingTarget(nginx)).toBe(3);
  });

  it('refuses a baseline that was not measured', () => {
    expect(() => summarize(targets, 'caddy')).toThrow(/no baseline target named caddy/);
  });

  it('prints medians, ratio ranges and the rounds that met the target', () => {
    const table = formatResultsTable(summarize(targets, 'nginx'), 'nginx');
    const berthLine = table.split('\n').find((line) => line.startsWith('berth'));
    expect(berthLine).toMatch(/30000\s+1\.33\s+4\.00\s+0\s+20\.0\s+0\.90x \(0\.75–0\.93\)/);
    expect(berthLine).toMatch(/1\.47x \(1\.00–1\.60\)\s+1 of 3$/);
    expect(table).not.toMatch(/warning/);
    const withErrors = formatResultsTable(
      summarize([{ name: 'nginx', rounds: [run(1, 1, 2)] }], 'nginx'),
      'nginx',
    );
    expect(withErrors).toMatch(/warning: nginx: 2 socket errors/);
  });
});
