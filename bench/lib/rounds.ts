import type { LoadResult } from './wrk.ts';

/** One wrk run against one target, and the serving process's CPU time per request. */
export interface RoundResult {
  result: LoadResult;
  cpuMicrosPerRequest: number;
}

/** A target's runs, one per round, in round order. */
export interface TargetRounds {
  name: string;
  rounds: RoundResult[];
}

/** A target's medians over its rounds, and how it compared with the baseline round by round. */
export interface TargetSummary {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  cpuMicrosPerRequest: number;
  /** This target's req/s over the baseline's, in each round (the two ran seconds apart). */
  rateRatios: number[];
  /** This target's p99 over the baseline's, in each round. */
  p99Ratios: number[];
}

/** Issue 4's target for Berth's proxy: ≥ 0.8× nginx's req/s with p99 within 1.5× of nginx's. */
export const targetRateRatio = 0.8;
export const targetP99Ratio = 1.5;

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/**
 * Medians per target, and each round's ratios against the baseline's run of the same round:
 * the rounds are interleaved, so a ratio compares two runs made seconds apart on this noisy box.
 */
export function summarize(targets: TargetRounds[], baselineName: string): TargetSummary[] {
  const baseline = targets.find(({ name }) => name === baselineName);
  if (baseline === undefined) throw new Error(`no baseline target named ${baselineName}`);
  return targets.map(({ name, rounds }) => {
    const results = rounds.map(({ result }) => result);
    return {
      name,
      requestsPerSecond: median(results.map((result) => result.requestsPerSecond)),
      p50Ms: median(results.map((result) => result.p50Ms)),
      p99Ms: median(results.map((result) => result.p99Ms)),
      errors: results.reduce((sum, result) => sum + result.errors, 0),
      cpuMicrosPerRequest: median(rounds.map((round) => round.cpuMicrosPerRequest)),
      rateRatios: results.map(
        (result, index) =>
          result.requestsPerSecond /
          (baseline.rounds[index]?.result.requestsPerSecond ?? Number.NaN),
      ),
      p99Ratios: results.map(
        (result, index) => result.p99Ms / (baseline.rounds[index]?.result.p99Ms ?? Number.NaN),
      ),
    };
  });
}

/** How many rounds met both halves of the target. */
export function roundsMeetingTarget(summary: TargetSummary): number {
  return summary.rateRatios.filter(
    (rateRatio, index) =>
      rateRatio >= targetRateRatio && (summary.p99Ratios[index] ?? Number.NaN) <= targetP99Ratio,
  ).length;
}
