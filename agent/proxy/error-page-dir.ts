import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../../shared/errors.ts';
import { proxyErrorStatuses, type CustomErrorPages, type ProxyErrorStatus } from './error-pages.ts';

const maxPageBytes = 256 * 1024;

/**
 * Reads `<dir>/<status>.html` for each status the proxy answers itself. A missing file falls
 * back to the built-in page; a missing directory or an unreadable page is a USAGE error, so a
 * typo fails the switch instead of silently serving the defaults.
 */
export async function loadErrorPages(dir: string): Promise<CustomErrorPages> {
  const dirStat = await stat(dir).catch(() => undefined);
  if (dirStat?.isDirectory() !== true) {
    throw new BerthError('USAGE', `errorPagesDir ${dir} is not a readable directory`);
  }
  const pages = new Map<ProxyErrorStatus, string>();
  for (const status of proxyErrorStatuses) {
    const page = await readPage(join(dir, `${status}.html`));
    if (page !== undefined) pages.set(status, page);
  }
  return pages;
}

async function readPage(path: string): Promise<string | undefined> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new BerthError('USAGE', `error page ${path} is not readable`, { cause: error });
  }
  if (text.length > maxPageBytes) {
    throw new BerthError('USAGE', `error page ${path} is over ${maxPageBytes} bytes`);
  }
  return text.toString('utf8');
}
