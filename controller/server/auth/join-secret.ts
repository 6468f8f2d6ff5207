import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const JOIN_SECRET_BYTES = 32;
const ABSENT_HASH = '0'.repeat(64);

/** A fresh one-time join secret (32 random bytes, base64url). Shown once, stored only hashed. */
export function newJoinSecret(): string {
  return randomBytes(JOIN_SECRET_BYTES).toString('base64url');
}

export function hashJoinSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Compares a presented secret with a stored hash in constant time. With no stored hash (an
 * unknown host) it still hashes and compares, so the answer takes as long either way.
 */
export function joinSecretMatches(secret: string, storedHash: string | null): boolean {
  const presented = Buffer.from(hashJoinSecret(secret), 'hex');
  const stored = Buffer.from(storedHash ?? ABSENT_HASH, 'hex');
  const equal = stored.length === presented.length && timingSafeEqual(presented, stored);
  return equal && storedHash !== null;
}
