import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import type { CheckTargetRequest } from './admin-protocol.ts';

export type HealthCheckOutcome =
  { healthy: true } | { healthy: false; message: string; lastStatus: string };

const userAgent = 'berth-proxy';
/** First retry delay; retries double from here up to the configured interval. */
const FIRST_RETRY_MS = 50;

/**
 * Polls `GET http://target + path` (each check bounded by the check timeout) until it answers
 * 2xx or the overall timeout passes. Retries start at 50 ms and double up to intervalMs, so an
 * app that boots in 300 ms goes live in about 300 ms, not a whole interval later. Redirects count as failures: a health
 * path that redirects (to HTTPS, to a login page) is a configuration error worth naming.
 */
export async function checkTarget(
  request: CheckTargetRequest,
  signal?: AbortSignal,
): Promise<HealthCheckOutcome> {
  const { target, healthCheck, timeoutMs } = request;
  const deadline = performance.now() + timeoutMs;
  const client = new Client(`http://${target}`, { pipelining: 1 });
  let lastStatus = 'no answer';
  let retryMs = FIRST_RETRY_MS;
  try {
    for (;;) {
      const checkTimeoutMs = Math.min(healthCheck.timeoutMs, msUntil(deadline));
      if (checkTimeoutMs <= 0 || signal?.aborted === true) break;
      const status = await probe(client, healthCheck.path, checkTimeoutMs, signal);
      if (typeof status === 'number' && status >= 200 && status < 300) return { healthy: true };
      // A check cut short by the overall deadline says less than the answer before it.
      const cutShort = typeof status === 'string' && checkTimeoutMs < healthCheck.timeoutMs;
      if (!cutShort || lastStatus === 'no answer') lastStatus = String(status);
      const waitMs = Math.min(retryMs, healthCheck.intervalMs, msUntil(deadline));
      retryMs *= 2;
      if (waitMs <= 0) break;
      await sleep(waitMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await client.destroy();
  }
  return {
    healthy: false,
    lastStatus,
    message:
      `target ${target} did not answer GET ${healthCheck.path} with 2xx within ${timeoutMs} ms ` +
      `(last status: ${lastStatus})`,
  };
}

/** The status code, or a short description of the network error. */
async function probe(
  client: Client,
  path: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<number | string> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await client.request({
      method: 'GET',
      path,
      headers: { 'user-agent': userAgent },
      signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
    });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
    return describeNetworkError(error);
  }
}

/** Whole milliseconds left until `deadline` (timers take integers). */
function msUntil(deadline: number): number {
  return Math.floor(deadline - performance.now());
}

function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  return cause === undefined ? error.message : `${error.message}: ${cause.message}`;
}
