import {
  median,
  roundsMeetingTarget,
  targetP99Ratio,
  targetRateRatio,
  type TargetSummary,
} from './rounds.ts';

/**
 * The bench's table: medians over the rounds, the median and range of the per-round ratios to
 * the baseline, and in how many rounds a row met issue 4's target against it.
 */
export function formatResultsTable(summaries: TargetSummary[], baselineName: string): string {
  const header = [
    'target',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'cpu µs/req',
    'req/s vs nginx',
    'p99 vs nginx',
    'target met',
  ];
  const rows = summaries.map((summary) => [
    summary.name,
    summary.requestsPerSecond.toFixed(0),
    summary.p50Ms.toFixed(2),
    summary.p99Ms.toFixed(2),
    String(summary.errors),
    summary.cpuMicrosPerRequest.toFixed(1),
    ratioWithRange(summary.rateRatios),
    ratioWithRange(summary.p99Ratios),
    summary.name === baselineName
      ? ''
      : `${roundsMeetingTarget(summary)} of ${summary.rateRatios.length}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const format = (cells: string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  const warnings = summaries
    .filter((summary) => summary.errors > 0 || summary.requestsPerSecond === 0)
    .map((summary) => `warning: ${summary.name}: ${summary.errors} socket errors or non-2xx/3xx`);
  return [format(header), ...rows.map(format), ...warnings].join('\n');
}

/** `0.95x (0.91–0.99)`: the median, then the lowest and highest round; one round, just the value. */
function ratioWithRange(ratios: number[]): string {
  const medianRatio = `${median(ratios).toFixed(2)}x`;
  if (ratios.length < 2) return medianRatio;
  return `${medianRatio} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
}

export const targetLegend =
  `target met: rounds with req/s ≥ ${targetRateRatio}× and p99 ≤ ${targetP99Ratio}× the ` +
  `baseline's run of the same round (issue 4's target for Berth's proxy).`;
