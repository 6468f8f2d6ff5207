import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BerthError } from '../../../shared/errors.ts';
import { fingerprintOfPem } from '../../../shared/tls/self-signed-certificate.ts';

export interface InstallRouteOptions {
  /** Where `npm run bundle -- --out DIR` put the agent bundles: `<controller data dir>/bundles`. */
  bundlesDir: string;
  /** The API certificate (PEM): its fingerprint is rendered into install.sh. */
  certPem?: string;
  /** Default: install.sh at the repository root. */
  installScriptPath?: string;
}

const defaultInstallScript = fileURLToPath(new URL('../../../install.sh', import.meta.url));
const bundleName = /^berth-agent-([0-9A-Za-z.+-]+)-linux-(x64|arm64)\.tar\.gz$/;
const latestIndexName = /^latest-linux-(x64|arm64)\.sha256$/;
// What a browser or curl may send as Host: a name or an IPv4/IPv6 address, and a port.
const safeHost = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/;

/**
 * Open: what a new server needs to install the agent, none of it secret. GET /install.sh
 * (rendered with this controller's URL and certificate fingerprint), GET /bundle/NAME and
 * NAME.sha256, and GET /bundle/latest-linux-ARCH.sha256 naming the newest bundle for ARCH.
 */
export function installRoutes(options: InstallRouteOptions) {
  const fingerprint = options.certPem ? fingerprintOfPem(options.certPem) : '';
  const scriptPath = options.installScriptPath ?? defaultInstallScript;
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/install.sh', async (request, reply) => {
      const host = request.headers.host ?? '';
      const url = safeHost.test(host) ? `https://${host}` : '';
      const script = renderInstallScript(await readFile(scriptPath, 'utf8'), url, fingerprint);
      return reply.type('text/x-shellscript; charset=utf-8').send(script);
    });

    app.get<{ Params: { file: string } }>('/bundle/:file', async (request, reply) => {
      const { file } = request.params;
      const latest = latestIndexName.exec(file);
      if (latest) {
        const newest = await newestBundle(options.bundlesDir, latest[1] as string);
        const index = await readFile(join(options.bundlesDir, `${newest}.sha256`), 'utf8');
        return reply.type('text/plain; charset=utf-8').send(index);
      }
      const name = file.endsWith('.sha256') ? file.slice(0, -'.sha256'.length) : file;
      if (!bundleName.test(name)) throw notFound(file);
      const path = join(options.bundlesDir, file);
      const size = await stat(path).then(
        (info) => info.size,
        () => undefined,
      );
      if (size === undefined) throw notFound(file);
      const type = file === name ? 'application/gzip' : 'text/plain; charset=utf-8';
      return reply.type(type).header('content-length', size).send(createReadStream(path));
    });
  };
}

/** Fills in the defaults install.sh leaves empty; values are checked, never shell-quoted input. */
export function renderInstallScript(script: string, url: string, fingerprint: string): string {
  if (url && !safeHost.test(url.replace(/^https:\/\//, ''))) throw new Error(`unsafe URL ${url}`);
  if (fingerprint && !/^sha256:[0-9a-f]{64}$/.test(fingerprint))
    throw new Error(`malformed fingerprint ${fingerprint}`);
  return script
    .replace(/^RENDERED_CONTROLLER_URL=''$/m, `RENDERED_CONTROLLER_URL='${url}'`)
    .replace(
      /^RENDERED_CONTROLLER_FINGERPRINT=''$/m,
      `RENDERED_CONTROLLER_FINGERPRINT='${fingerprint}'`,
    );
}

/** The file name of the newest bundle for `arch` that has its .sha256 beside it. */
async function newestBundle(bundlesDir: string, arch: string): Promise<string> {
  const files = await readdir(bundlesDir).catch(() => [] as string[]);
  const candidates = files
    .map((file) => bundleName.exec(file))
    .filter((match) => match !== null && match[2] === arch && files.includes(`${match[0]}.sha256`))
    .map((match) => ({
      file: (match as RegExpExecArray)[0],
      version: (match as RegExpExecArray)[1] as string,
    }))
    .sort((a, b) => compareVersions(b.version, a.version));
  const newest = candidates[0];
  if (!newest) throw notFound(`agent bundle for linux-${arch}`);
  return newest.file;
}

/** Dotted versions, numerically where both parts are numbers: 0.10.0 is newer than 0.9.1. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(/[.+-]/);
  const right = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const [x, y] = [left[i] ?? '', right[i] ?? ''];
    const difference =
      /^\d+$/.test(x) && /^\d+$/.test(y) ? Number(x) - Number(y) : x.localeCompare(y);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

function notFound(what: string): BerthError {
  return new BerthError('NOT_FOUND', `this controller has no ${what}`, {
    hint: 'on a machine of that architecture: npm run bundle -- --out <controller data dir>/bundles',
  });
}
