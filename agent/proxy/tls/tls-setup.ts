import { join } from 'node:path';
import type { Logger } from '../../../shared/logger.ts';
import { AcmeChallenges } from './acme-challenges.ts';
import { AcmeIssuer, letsEncryptDirectoryUrl, type AcmeSettings } from './acme-issuer.ts';
import { AcmeMaintainer } from './acme-maintainer.ts';
import { acmeAccountsDirName, CertificateStore } from './certificate-store.ts';
import { TlsManager } from './tls-manager.ts';

export interface HttpsOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default: the HTTP listener's host. */
  host?: string;
  /** Default: Let's Encrypt production, renewal 30 days before expiry, checked every 12 h. */
  acme?: AcmeOptions;
}

export interface AcmeOptions extends Partial<AcmeSettings> {
  renewBeforeDays?: number;
  renewCheckIntervalMs?: number;
  /** Injected by tests to move time. */
  now?: () => number;
}

/**
 * Loads the stored certificates (`<state dir>/certs`) and, with HTTPS on, sets up ACME.
 * Without HTTPS custom certificates are still stored, so turning HTTPS on later needs no
 * redeploy.
 */
export async function setUpTls(
  stateDir: string,
  https: HttpsOptions | undefined,
  logger: Logger,
  options: { isReplica?: boolean } = {},
): Promise<{ tls: TlsManager; challenges: AcmeChallenges }> {
  const certsDir = join(stateDir, 'certs');
  // A replica serves what its primary stores and obtains: no writes, no ACME of its own.
  const isReplica = options.isReplica === true;
  const store = new CertificateStore(certsDir, logger, { readOnly: isReplica });
  await store.load();
  const challenges = new AcmeChallenges();
  if (https === undefined || isReplica) {
    return { tls: new TlsManager(store, undefined, logger), challenges };
  }
  const acme = https.acme ?? {};
  const issuer = new AcmeIssuer(
    {
      directoryUrl: acme.directoryUrl ?? letsEncryptDirectoryUrl,
      email: acme.email,
      caFilePath: acme.caFilePath,
      pollMinMs: acme.pollMinMs,
    },
    join(certsDir, acmeAccountsDirName),
    challenges,
    logger,
  );
  const maintainer = new AcmeMaintainer({
    store,
    issuer,
    logger,
    renewBeforeDays: acme.renewBeforeDays,
    checkIntervalMs: acme.renewCheckIntervalMs,
    now: acme.now,
  });
  return { tls: new TlsManager(store, maintainer, logger), challenges };
}
