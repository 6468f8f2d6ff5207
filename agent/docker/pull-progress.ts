import type { PullProgress } from './container-engine.ts';

/** One JSON line of the engine's pull stream (`POST /images/create`). */
interface PullEvent {
  status?: unknown;
  id?: unknown;
  progressDetail?: { current?: unknown; total?: unknown } | null;
  error?: unknown;
  errorDetail?: { message?: unknown } | null;
}

/** A pull stream line as PullProgress; null for lines that carry no status (errors). */
export function pullProgressFrom(line: unknown): PullProgress | null {
  const event = asEvent(line);
  if (typeof event.status !== 'string') return null;
  const { current, total } = event.progressDetail ?? {};
  return {
    status: event.status,
    ...(typeof event.id === 'string' ? { layer: event.id } : {}),
    ...(typeof current === 'number' ? { currentBytes: current } : {}),
    ...(typeof total === 'number' && total > 0 ? { totalBytes: total } : {}),
  };
}

/**
 * The registry's message when a pull stream line reports failure. The engine answers 200 as soon
 * as the pull starts, so most registry errors arrive in the stream, not as an HTTP status.
 */
export function pullErrorFrom(line: unknown): string | null {
  const event = asEvent(line);
  const detail = event.errorDetail?.message;
  if (typeof detail === 'string' && detail !== '') return detail;
  return typeof event.error === 'string' && event.error !== '' ? event.error : null;
}

function asEvent(line: unknown): PullEvent {
  return typeof line === 'object' && line !== null ? (line as PullEvent) : {};
}
