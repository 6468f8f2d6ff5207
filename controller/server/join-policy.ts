import { BerthError } from '../../shared/errors.ts';
import { joinSecretMatches } from './auth/join-secret.ts';
import type { StoredHost } from './state/records.ts';

/**
 * Throws unless `secret` may join `name` now: it matches the host's stored hash, was not used,
 * the host is still waiting to join, and the token has not expired. Pure.
 */
export function checkJoin(name: string, host: StoredHost | null, secret: string, now: Date): void {
  if (!joinSecretMatches(secret, host?.tokenHash ?? null) || !host) {
    throw new BerthError('JOIN_TOKEN_INVALID', `the join token is not valid for host "${name}"`, {
      hint: 'use the whole token `berth hosts add NAME` printed, on the server it was issued for',
    });
  }
  if (host.tokenUsedAt !== null) {
    throw new BerthError(
      'JOIN_TOKEN_USED',
      `the join token for "${name}" was used at ${host.tokenUsedAt}; each token works once`,
    );
  }
  if (host.state === 'revoked') {
    throw new BerthError('HOST_REVOKED', `host "${name}" was removed before it joined`);
  }
  if (now.getTime() >= Date.parse(host.tokenExpiresAt)) {
    throw new BerthError(
      'JOIN_TOKEN_EXPIRED',
      `the join token for "${name}" expired at ${host.tokenExpiresAt}`,
      { hint: `issue a new one: berth hosts add ${name}` },
    );
  }
}
