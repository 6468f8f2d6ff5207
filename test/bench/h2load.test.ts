import { describe, expect, it } from 'vitest';
import { parseH2load } from '../../bench/lib/h2load.ts';

const summary = `starting benchmark...
finished in 5.00s, 19766.00 req/s, 1.12MB/s
requests: 98830 total, 98880 started, 98830 done, 98828 succeeded, 2 failed, 1 errored, 0 timeout
status codes: 98828 2xx, 0 3xx, 0 4xx, 1 5xx
`;

describe('h2load output', () => {
  it('reads req/s and failures from the summary, p50 and p99 from the per-request log', () => {
    // 100 requests taking 1 ms … 100 ms.
    const log = Array.from(
      { length: 100 },
      (_, index) => `1795350000000000\t200\t${(index + 1) * 1000}`,
    )
      .reverse()
      .join('\n');
    expect(parseH2load(summary, `${log}\n`)).toEqual({
      requestsPerSecond: 19766,
      p50Ms: 51,
      p99Ms: 100,
      errors: 2,
    });
  });

  it('refuses output it cannot read', () => {
    expect(() => parseH2load('connect failed', '')).toThrow(/could not read h2load output/);
  });
});
