import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import * as acme from 'acme-client';
import type { Logger } from '../../../shared/logger.ts';
import type { AcmeChallenges } from './acme-challenges.ts';
import { writeFileAtomically } from '../../../shared/fs/atomic-file.ts';

export const letsEncryptDirectoryUrl = 'https://acme-v02.api.letsencrypt.org/directory';

export interface AcmeSettings {
  directoryUrl: string;
  /** Contact for expiry notices; optional, as with Let's Encrypt. */
  email?: string;
  /** An extra CA (PEM file) to trust for the ACME server itself, e.g. pebble's. */
  caFilePath?: string;
  /** First wait while polling the CA for a status change; it doubles up to 30 s. */
  pollMinMs?: number;
}

/** Something that can get a certificate for a host; the maintainer talks to this. */
export interface CertificateIssuer {
  readonly directoryUrl: string;
  issue(host: string): Promise<{ certificatePem: string; privateKeyPem: string }>;
}

const defaultPollMinMs = 1_000;
const pollMaxMs = 30_000;
const pollAttempts = 10;

/**
 * ACME (RFC 8555) with HTTP-01 through acme-client. One account per directory URL; its key
 * is kept at `<accountsDir>/<sha256(directory URL)>.pem` (0600) and reused across restarts.
 * Certificate keys are ECDSA P-256, one certificate per host.
 */
export class AcmeIssuer implements CertificateIssuer {
  readonly directoryUrl: string;
  readonly #settings: AcmeSettings;
  readonly #accountsDir: string;
  readonly #challenges: AcmeChallenges;
  readonly #logger: Logger;
  #client: Promise<acme.Client> | undefined;

  constructor(
    settings: AcmeSettings,
    accountsDir: string,
    challenges: AcmeChallenges,
    logger: Logger,
  ) {
    this.directoryUrl = settings.directoryUrl;
    this.#settings = settings;
    this.#accountsDir = accountsDir;
    this.#challenges = challenges;
    this.#logger = logger;
  }

  async issue(host: string): Promise<{ certificatePem: string; privateKeyPem: string }> {
    const client = await this.#clientOnce();
    const privateKey = await acme.crypto.createPrivateEcdsaKey('P-256');
    const [, csr] = await acme.crypto.createCsr({ commonName: host, altNames: [host] }, privateKey);
    const certificatePem = await client.auto({
      csr,
      email: this.#settings.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client would fetch the token itself through system DNS and port 80 first;
      // the CA's own validation is the one that counts.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        await this.#challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        await this.#challenges.delete(challenge.token);
      },
    });
    return { certificatePem, privateKeyPem: privateKey.toString('utf8') };
  }

  #clientOnce(): Promise<acme.Client> {
    this.#client ??= this.#createClient().catch((error: unknown) => {
      this.#client = undefined;
      throw error;
    });
    return this.#client;
  }

  async #createClient(): Promise<acme.Client> {
    const { caFilePath } = this.#settings;
    if (caFilePath !== undefined) {
      // acme-client sends everything through one shared axios instance; this process only
      // ever talks to one ACME server, so setting its agent is safe.
      const ca = await readFile(caFilePath, 'utf8');
      acme.axios.defaults.httpsAgent = new HttpsAgent({ ca: [...rootCertificates, ca] });
    }
    const pollMinMs = this.#settings.pollMinMs ?? defaultPollMinMs;
    return new acme.Client({
      directoryUrl: this.directoryUrl,
      accountKey: await this.#accountKey(),
      backoffAttempts: pollAttempts,
      backoffMin: pollMinMs,
      backoffMax: Math.max(pollMinMs, pollMaxMs),
    });
  }

  async #accountKey(): Promise<string> {
    const name = createHash('sha256').update(this.directoryUrl).digest('hex').slice(0, 32);
    const path = join(this.#accountsDir, `${name}.pem`);
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT')) throw error;
    }
    const key = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString('utf8');
    await writeFileAtomically(path, key);
    this.#logger.info({ directoryUrl: this.directoryUrl, path }, 'ACME account key created');
    return key;
  }
}
