import type { ClientResponse } from '../client-exchange.ts';

export const acmeChallengePathPrefix = '/.well-known/acme-challenge/';

/**
 * HTTP-01 answers the proxy holds while an order is open. They are served on the HTTP
 * listener for any host, before redirects and routing; unknown tokens fall through to the app.
 */
export class AcmeChallenges {
  readonly #keyAuthorizationByToken = new Map<string, string>();
  /**
   * Set by a primary with replicas: whichever process accepts the CA's validation request must
   * know the token, so the issuer waits until every replica holds it.
   */
  mirror?: (token: string, keyAuthorization: string | undefined) => Promise<void>;

  async set(token: string, keyAuthorization: string): Promise<void> {
    this.#keyAuthorizationByToken.set(token, keyAuthorization);
    await this.mirror?.(token, keyAuthorization);
  }

  async delete(token: string): Promise<void> {
    this.#keyAuthorizationByToken.delete(token);
    await this.mirror?.(token, undefined);
  }

  /** Answers `url` when it asks for a token held here; returns whether it did. */
  answer(url: string, res: ClientResponse): boolean {
    if (this.#keyAuthorizationByToken.size === 0 || !url.startsWith(acmeChallengePathPrefix)) {
      return false;
    }
    const query = url.indexOf('?');
    const token = url.slice(acmeChallengePathPrefix.length, query === -1 ? undefined : query);
    const keyAuthorization = this.#keyAuthorizationByToken.get(token);
    if (keyAuthorization === undefined) return false;
    res.writeHead(200, {
      'content-type': 'text/plain',
      'content-length': Buffer.byteLength(keyAuthorization),
      'cache-control': 'no-store',
    });
    res.end(keyAuthorization);
    return true;
  }
}
