import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import type { Logger } from '../../../shared/logger.ts';
import { writeFileAtomically } from '../../../shared/fs/atomic-file.ts';
import {
  storedCertificate,
  type CertificateOrigin,
  type StoredCertificate,
} from './stored-certificate.ts';

/** `*.example.com` is stored as `_.example.com`: `_` never appears in a route host. */
const wildcardDirPrefix = '_.';

/** Beside the host directories; `_` keeps it apart from every host name. */
export const acmeAccountsDirName = '_acme-accounts';

/**
 * Certificates by host, in memory for SNI and on disk so a restarted proxy serves them at
 * once: `<dir>/<host>/{cert.pem,key.pem,origin.json}`, files 0600, each replaced atomically.
 * The key is written before the certificate; a pair left mismatched by a crash in between is
 * skipped at load (ACME issues again; a custom certificate returns with the next switch).
 */
export class CertificateStore {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #byHost = new Map<string, StoredCertificate>();
  readonly #isReadOnly: boolean;
  /** Called after each `put`: a primary tells its replicas to `load()` again. */
  onPut?: (host: string) => void;

  /** `readOnly`: a replica serves what its primary stores, and writes nothing. */
  constructor(dir: string, logger: Logger, options: { readOnly?: boolean } = {}) {
    this.#dir = dir;
    this.#logger = logger;
    this.#isReadOnly = options.readOnly === true;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Reads every stored certificate; unreadable ones are logged and skipped. */
  async load(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      const host = hostOfDirName(name);
      if (host === undefined) continue;
      try {
        this.#byHost.set(host, await this.#read(host, join(this.#dir, name)));
      } catch (error) {
        this.#logger.warn({ host, err: error }, 'stored certificate skipped');
      }
    }
    this.#logger.info({ certificates: this.#byHost.size }, 'certificates loaded');
  }

  get(host: string): StoredCertificate | undefined {
    return this.#byHost.get(host);
  }

  /** The context for an SNI name: the exact host, else the wildcard one label up. */
  contextFor(serverName: string): SecureContext | undefined {
    const name = serverName.toLowerCase().replace(/\.$/, '');
    const exact = this.#byHost.get(name);
    if (exact !== undefined) return exact.context;
    const dot = name.indexOf('.');
    return dot > 0 ? this.#byHost.get(`*${name.slice(dot)}`)?.context : undefined;
  }

  /** For `SNICallback`: no certificate for the name fails the handshake. */
  sniCallback = (
    serverName: string,
    callback: (error: Error | null, context?: SecureContext) => void,
  ): void => {
    const context = this.contextFor(serverName);
    if (context === undefined) callback(new Error(`no certificate for "${serverName}"`));
    else callback(null, context);
  };

  /** Validates, writes and starts serving a certificate for `host`. */
  async put(
    host: string,
    certificatePem: string,
    privateKeyPem: string,
    origin: CertificateOrigin,
  ): Promise<StoredCertificate> {
    const stored = storedCertificate(host, certificatePem, privateKeyPem, origin);
    if (!this.#isReadOnly) {
      const hostDir = join(this.#dir, dirNameOf(host));
      await writeFileAtomically(join(hostDir, 'key.pem'), privateKeyPem);
      await writeFileAtomically(join(hostDir, 'cert.pem'), certificatePem);
      await writeFileAtomically(join(hostDir, 'origin.json'), `${JSON.stringify(origin)}\n`);
    }
    this.#byHost.set(host, stored);
    this.onPut?.(host);
    return stored;
  }

  async #read(host: string, hostDir: string): Promise<StoredCertificate> {
    const [certificatePem, privateKeyPem, originText] = await Promise.all([
      readFile(join(hostDir, 'cert.pem'), 'utf8'),
      readFile(join(hostDir, 'key.pem'), 'utf8'),
      readFile(join(hostDir, 'origin.json'), 'utf8'),
    ]);
    return storedCertificate(host, certificatePem, privateKeyPem, parseOrigin(originText));
  }
}

function dirNameOf(host: string): string {
  return host.startsWith('*.') ? `${wildcardDirPrefix}${host.slice(2)}` : host;
}

/** The host a directory holds, or undefined for anything else (`_acme-accounts`, temp files). */
function hostOfDirName(name: string): string | undefined {
  if (name.startsWith(wildcardDirPrefix)) return `*.${name.slice(2)}`;
  return name.startsWith('.') || name.startsWith('_') ? undefined : name;
}

function parseOrigin(text: string): CertificateOrigin {
  const value: unknown = JSON.parse(text);
  if (typeof value === 'object' && value !== null && 'source' in value) {
    if (value.source === 'custom') return { source: 'custom' };
    if (
      value.source === 'acme' &&
      'directoryUrl' in value &&
      typeof value.directoryUrl === 'string'
    ) {
      return { source: 'acme', directoryUrl: value.directoryUrl };
    }
  }
  throw new Error(
    'origin.json: expected {"source":"acme","directoryUrl":…} or {"source":"custom"}',
  );
}
