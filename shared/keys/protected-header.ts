/**
 * Reads the protected header of a compact JWS/JWT (3 parts) or JWE (5 parts) ourselves, so the
 * algorithm check happens before any key lookup and does not depend on a library's defaults.
 * Null when malformed.
 */
export function readProtectedHeader(
  compact: string,
  partCount: 3 | 5 = 3,
): Record<string, unknown> | null {
  const parts = compact.split('.');
  const [encoded] = parts;
  if (parts.length !== partCount || encoded === undefined || !/^[A-Za-z0-9_-]+$/.test(encoded)) {
    return null;
  }
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return null;
    return { ...header };
  } catch {
    return null;
  }
}

/** A header value as it may appear in a message: short, and never more than a label. */
export function headerValueText(value: unknown): string {
  if (value === undefined) return 'none given';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
