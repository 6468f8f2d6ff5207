import { request, type Dispatcher } from 'undici';
import { BerthError, errorCatalog, isBerthError, type ErrorCode } from '../../shared/errors.ts';

/**
 * A controller call that did not succeed. `httpStatus` is null when nothing answered;
 * `remote` is what the controller said (its code and message), for logs and `join`'s output.
 */
export class ControllerCallError extends BerthError {
  readonly httpStatus: number | null;
  readonly remote: { code: string | null; message: string } | null;

  constructor(
    code: ErrorCode,
    message: string,
    options: {
      httpStatus: number | null;
      remote?: { code: string | null; message: string };
      hint?: string;
      cause?: unknown;
    },
  ) {
    super(code, message, { hint: options.hint, cause: options.cause });
    this.httpStatus = options.httpStatus;
    this.remote = options.remote ?? null;
  }
}

/** True when retrying soon cannot help: the controller said no (4xx), or its certificate is not the pinned one. */
export function isRefusedCall(error: unknown): boolean {
  if (error instanceof ControllerCallError)
    return error.httpStatus !== null && error.httpStatus < 500;
  return isBerthError(error) && error.code === 'TLS_PINNING_FAILED';
}

export interface ControllerCall {
  method: 'GET' | 'POST';
  path: string;
  /** Bearer token: the agent's identity token (none for /v1/join, which carries its secret). */
  token?: string;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One JSON call to the controller over the given (pinned) dispatcher; the parsed answer, null for 204. */
export async function callController(
  baseUrl: string,
  dispatcher: Dispatcher,
  call: ControllerCall,
): Promise<unknown> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  let response: Dispatcher.ResponseData;
  try {
    response = await request(new URL(call.path, baseUrl), {
      method: call.method,
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      dispatcher,
      signal: call.signal,
      headersTimeout: call.timeoutMs,
      bodyTimeout: call.timeoutMs,
    });
  } catch (error) {
    throw pinningErrorIn(error) ?? unreachable(baseUrl, error);
  }
  let text: string;
  try {
    text = await response.body.text();
  } catch (error) {
    throw unreachable(baseUrl, error);
  }
  const json = parseJson(text);
  if (response.statusCode >= 400) throw refusal(baseUrl, response.statusCode, json);
  if (json === undefined && text !== '') {
    throw new ControllerCallError('INTERNAL', `controller ${baseUrl} answered with non-JSON`, {
      httpStatus: 502,
    });
  }
  return json ?? null;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unreachable(baseUrl: string, error: unknown): ControllerCallError {
  const reason =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error';
  return new ControllerCallError(
    'HOST_UNREACHABLE',
    `controller ${baseUrl} did not answer (${reason})`,
    {
      httpStatus: null,
      cause: error,
    },
  );
}

function refusal(baseUrl: string, status: number, body: unknown): ControllerCallError {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const remoteCode = typeof fields.code === 'string' ? fields.code : null;
  const remoteMessage = typeof fields.message === 'string' ? fields.message : `HTTP ${status}`;
  const hint = typeof fields.hint === 'string' ? fields.hint : undefined;
  return new ControllerCallError(
    codeFor(status, remoteCode),
    `controller ${baseUrl} answered ${status}${remoteCode ? ` ${remoteCode}` : ''}: ${remoteMessage}`,
    { httpStatus: status, remote: { code: remoteCode, message: remoteMessage }, hint },
  );
}

function codeFor(status: number, remoteCode: string | null): ErrorCode {
  if (remoteCode !== null && remoteCode in errorCatalog) return remoteCode as ErrorCode;
  if (status === 401 || status === 403) return 'AUTH_INVALID';
  if (status === 404) return 'NOT_FOUND';
  return status < 500 ? 'USAGE' : 'INTERNAL';
}

/** undici wraps the dispatcher's connect error; the pinning refusal is somewhere in the cause chain. */
function pinningErrorIn(error: unknown): BerthError | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (isBerthError(current)) return current;
    current = typeof current === 'object' && 'cause' in current ? current.cause : null;
  }
  return null;
}
