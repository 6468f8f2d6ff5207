/**
 * Adds up the Prometheus text of several processes serving the same sockets: every sample line
 * with the same name and labels is summed (counters, histogram buckets and sums, in-flight
 * gauges all add up across processes); HELP and TYPE lines are kept once, in first-seen order.
 */
export function mergePrometheusTexts(texts: readonly string[]): string {
  const order: string[] = [];
  const sums = new Map<string, number>();
  const comments = new Set<string>();
  for (const text of texts) {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        if (!comments.has(line)) {
          comments.add(line);
          order.push(line);
        }
        continue;
      }
      const space = line.lastIndexOf(' ');
      const series = line.slice(0, space);
      const value = Number(line.slice(space + 1));
      if (!sums.has(series)) order.push(series);
      sums.set(series, (sums.get(series) ?? 0) + value);
    }
  }
  const lines = order.map((entry) => {
    const sum = sums.get(entry);
    return sum === undefined ? entry : `${entry} ${formatSample(sum)}`;
  });
  return `${lines.join('\n')}\n`;
}

function formatSample(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(15)));
}
