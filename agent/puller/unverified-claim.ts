import { serviceNamePattern } from '../../shared/manifest/schema.ts';

/** What a signed release or control says it is, before anyone has checked the signature. */
export interface UnverifiedClaim {
  service: string;
  sequence: number;
}

/**
 * Reads service and sequence out of a JWS payload without verifying it: only to name a refused
 * release or control in the report and the log. Nothing is decided on it.
 */
export function unverifiedClaimOf(jws: string): UnverifiedClaim | null {
  try {
    const payload: unknown = JSON.parse(
      Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8'),
    );
    if (typeof payload !== 'object' || payload === null) return null;
    const { service, sequence } = payload as Record<string, unknown>;
    if (typeof service !== 'string' || !serviceNamePattern.test(service)) return null;
    if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) {
      return null;
    }
    return { service, sequence };
  } catch {
    return null;
  }
}
