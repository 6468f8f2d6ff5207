import type { UpstreamErrorKind } from './proxy-metrics.ts';

/** Why a request to an app failed, sorted the way the metrics and the client's answer need. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;

  constructor(kind: UpstreamErrorKind, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamError';
    this.kind = kind;
  }

  /** 504 when the app took too long to answer, 502 for every other failure. */
  get status(): 502 | 504 {
    return this.kind === 'timeout' ? 504 : 502;
  }
}

const connectCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/** A socket error, sorted: failing to reach the app, or losing it mid-exchange. */
export function upstreamSocketError(error: Error, isConnected: boolean): UpstreamError {
  const code = 'code' in error ? String(error.code) : '';
  if (!isConnected || connectCodes.has(code)) {
    return new UpstreamError('connect', `cannot connect to the app: ${error.message}`, error);
  }
  return new UpstreamError('reset', `the app's connection failed: ${error.message}`, error);
}
