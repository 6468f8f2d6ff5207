import { Pool, request } from 'undici';

export interface LoadReport {
  total: number;
  failed: number;
  /** First few failures, for the assertion message. */
  failures: string[];
  /** Answer bodies (versions) by count. */
  answers: Record<string, number>;
  /** The answer of the last request each worker made. */
  lastAnswers: string[];
}

/**
 * Steady load through the proxy: `concurrency` keep-alive clients each looping GET `path`
 * until stopped. Any network error or non-200 answer counts as a failure.
 */
export function startLoad(
  baseUrl: string,
  options: { concurrency?: number; path?: string; host?: string } = {},
) {
  const concurrency = options.concurrency ?? 20;
  const pool = new Pool(baseUrl, {
    connections: concurrency,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const report: LoadReport = { total: 0, failed: 0, failures: [], answers: {}, lastAnswers: [] };
  let running = true;
  const worker = async (index: number): Promise<void> => {
    while (running) {
      report.total++;
      try {
        const response = await pool.request({
          method: 'GET',
          path: options.path ?? '/version',
          headers: options.host ? { host: options.host } : {},
          headersTimeout: 30_000,
        });
        const body = await response.body.text();
        if (response.statusCode !== 200)
          throw new Error(`HTTP ${response.statusCode}: ${body.slice(0, 120)}`);
        report.answers[body] = (report.answers[body] ?? 0) + 1;
        report.lastAnswers[index] = body;
      } catch (error) {
        report.failed++;
        if (report.failures.length < 10)
          report.failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, (_, i) => worker(i));
  return {
    report,
    async stop(): Promise<LoadReport> {
      running = false;
      await Promise.all(workers);
      await pool.close();
      return report;
    },
  };
}

/** One request that the app answers slowly (GET /slow?ms=…): resolves with status and body. */
export async function slowRequest(
  baseUrl: string,
  ms: number,
  host?: string,
): Promise<{ status: number; body: string }> {
  const response = await request(`${baseUrl}/slow?ms=${ms}`, {
    headers: host ? { host } : {},
    headersTimeout: ms + 30_000,
  });
  return { status: response.statusCode, body: await response.body.text() };
}

export async function getText(
  url: string,
  host?: string,
): Promise<{ status: number; body: string }> {
  const response = await request(url, { headers: host ? { host } : {} });
  return { status: response.statusCode, body: await response.body.text() };
}
