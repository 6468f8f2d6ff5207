import { BerthError, errorCatalog, isBerthError, type ErrorCode } from '../../shared/errors.ts';

/** A BerthError from an API's `{code, message, hint, details}` answer, prefixed with who answered. */
export function errorFromAnswer(who: string, status: number, body: unknown): BerthError {
  const payload = body as {
    code?: string;
    message?: string;
    hint?: string;
    details?: string[];
  } | null;
  const isBerthAnswer = payload?.code !== undefined && payload.code in errorCatalog;
  // 502/503/504 without one of our codes come from a server closing or restarting (Fastify
  // answers 503 while it shuts down) or from something in front of it: not answering yet.
  const isUnavailable = !isBerthAnswer && status >= 502 && status <= 504;
  const code: ErrorCode = isBerthAnswer
    ? (payload.code as ErrorCode)
    : isUnavailable
      ? 'HOST_UNREACHABLE'
      : 'INTERNAL';
  return new BerthError(code, `${who}: ${payload?.message ?? `HTTP ${status}`}`, {
    hint: payload?.hint,
    details: payload?.details,
  });
}

/** HOST_UNREACHABLE, unless the failure was the pinning check (kept, since it says more). */
export function unreachable(what: string, error: unknown): BerthError {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (isBerthError(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return new BerthError('HOST_UNREACHABLE', `${what} did not answer`, { cause: error });
}
