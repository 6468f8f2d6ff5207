import { BerthError, type ErrorCode } from '../../shared/errors.ts';

/** The fields docker-modem puts on errors: the HTTP status and the engine's JSON body. */
interface EngineErrorShape {
  statusCode?: unknown;
  json?: unknown;
  code?: unknown;
  message?: unknown;
}

const modemPrefix = /^\(HTTP code \d+\) [^-]*- /;
const unreachableCodes = new Set(['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EPIPE']);

/** The HTTP status the engine answered with, or undefined when it did not answer. */
export function engineStatusCode(error: unknown): number | undefined {
  const { statusCode } = asShape(error);
  return typeof statusCode === 'number' ? statusCode : undefined;
}

/** The engine's (or registry's) own words, without docker-modem's prefix. */
export function engineMessage(error: unknown): string {
  const shape = asShape(error);
  if (typeof shape.code === 'string' && unreachableCodes.has(shape.code)) {
    return `the Docker engine does not answer (${shape.code})`;
  }
  const json = asShape(shape.json);
  if (typeof json.message === 'string' && json.message.trim() !== '') return json.message.trim();
  if (typeof shape.message === 'string') return shape.message.replace(modemPrefix, '').trim();
  return String(error);
}

/**
 * A BerthError for a failed engine call: "<what we tried>: <what Docker said>". Secrets (registry
 * passwords) are cut out of the text, since registries sometimes echo what they were sent.
 */
export function engineError(
  code: ErrorCode,
  action: string,
  error: unknown,
  secrets: string[] = [],
): BerthError {
  const message = redact(`${action}: ${engineMessage(error)}`, secrets);
  return new BerthError(code, message);
}

export function redact(text: string, secrets: string[]): string {
  return secrets
    .filter((secret) => secret.length > 0)
    .reduce((result, secret) => result.split(secret).join('[redacted]'), text);
}

function asShape(value: unknown): EngineErrorShape {
  return typeof value === 'object' && value !== null ? (value as EngineErrorShape) : {};
}
