import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthError } from '../errors.ts';
import { errorPageStatuses, MAX_ERROR_PAGE_BYTES } from '../manifest/schema.ts';

/**
 * Reads `error_pages_path` for the release: `<status>.html` for each status the proxy answers
 * itself. Other files are left alone (a directory may hold images the pages link to from the
 * app). A missing directory, a page over the size limit or a directory with none of the pages
 * is an error naming the key, so a typo fails the deploy instead of shipping the defaults.
 */
export async function readErrorPagesDir(dir: string): Promise<Record<string, string>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new BerthError('CONFIG_INVALID', `error_pages_path: ${dir} is not a readable directory`, {
      cause: error,
      hint: 'Point error_pages_path at a directory holding e.g. 503.html, or remove the key.',
    });
  }
  const pages: Record<string, string> = {};
  for (const status of errorPageStatuses) {
    if (!names.includes(`${status}.html`)) continue;
    const page = await readFile(join(dir, `${status}.html`));
    if (page.length > MAX_ERROR_PAGE_BYTES) {
      throw new BerthError(
        'CONFIG_INVALID',
        `error_pages_path: ${status}.html is ${page.length} bytes, over the ${MAX_ERROR_PAGE_BYTES} a release may carry`,
        { hint: 'Keep pages small; link to images and styles instead of inlining them.' },
      );
    }
    pages[status] = page.toString('utf8');
  }
  if (Object.keys(pages).length === 0) {
    throw new BerthError(
      'CONFIG_INVALID',
      `error_pages_path: ${dir} holds none of ${errorPageStatuses.map((s) => `${s}.html`).join(', ')}`,
      { hint: 'Name the pages after the status they replace, e.g. 503.html for maintenance.' },
    );
  }
  return pages;
}
