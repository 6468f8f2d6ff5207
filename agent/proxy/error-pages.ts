import type { ClientResponse } from './client-exchange.ts';

/** The statuses the proxy answers itself; upstream error responses pass through untouched. */
export type ProxyErrorStatus = 400 | 404 | 413 | 502 | 503 | 504;

export const proxyErrorStatuses: readonly ProxyErrorStatus[] = [400, 404, 413, 502, 503, 504];

/** A service's own pages by status (from its `errorPagesDir`); `{{message}}` marks the message. */
export type CustomErrorPages = ReadonlyMap<ProxyErrorStatus, string>;

/** What a page may say beyond its status. */
export interface PageDetail {
  /** Named on the built-in 404 page. */
  host?: string;
  /** Replaces the default reason (the maintenance message). */
  message?: string;
  pages?: CustomErrorPages;
}

const titles: Record<ProxyErrorStatus, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const reasons: Record<ProxyErrorStatus, string> = {
  400: 'The proxy could not forward this request.',
  404: 'No service is routed for this host and path.',
  413: 'The request body is larger than this service accepts.',
  502: 'The app refused or dropped the connection before it answered.',
  503: 'The service is temporarily unavailable: it has no running target.',
  504: 'The app did not answer in time.',
};

/** The 503 text while in maintenance without a message of its own. */
export const maintenanceReason =
  'The service is temporarily unavailable for maintenance. Please try again shortly.';

const fixedPages = new Map(
  proxyErrorStatuses.map((status) => [status, renderPage(status, reasons[status])]),
);

/**
 * Answers with the HTML page for `status` and returns the body's size in bytes. 413 closes the
 * connection: the rest of an oversized body is not worth reading.
 */
export function sendErrorPage(
  res: ClientResponse,
  status: ProxyErrorStatus,
  host?: string,
  detail?: PageDetail,
): number {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return 0;
  }
  const body = pageFor(status, { host, ...detail });
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(body);
  return body.length;
}

/** The same page as a whole HTTP/1.1 response, for sockets taken over by an upgrade. */
export function rawErrorResponse(
  status: ProxyErrorStatus,
  host?: string,
  detail?: PageDetail,
): Buffer {
  const body = pageFor(status, { host, ...detail });
  const head =
    `HTTP/1.1 ${status} ${titles[status]}\r\ncontent-type: text/html; charset=utf-8\r\n` +
    `content-length: ${body.length}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** The text of a custom page: `{{message}}` replaced by the escaped message. */
export function renderCustomPage(template: string, message: string): Buffer {
  return Buffer.from(template.replaceAll('{{message}}', escapeHtml(message)));
}

function pageFor(status: ProxyErrorStatus, detail: PageDetail): Buffer {
  const { host, message, pages } = detail;
  const template = pages?.get(status);
  const reason =
    message !== undefined && message !== ''
      ? message
      : status === 404
        ? notFoundReason(host)
        : reasons[status];
  if (template !== undefined) return renderCustomPage(template, reason);
  if (status === 404 || message !== undefined) return renderPage(status, reason);
  return fixedPages.get(status) ?? renderPage(status, reason);
}

function notFoundReason(host: string | undefined): string {
  if (host === undefined) return 'No service is routed for requests without a Host header.';
  return `No service is routed for host "${host}" at this path.`;
}

function renderPage(status: ProxyErrorStatus, reason: string): Buffer {
  const title = `${status} ${titles[status]}`;
  return Buffer.from(
    `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1><p>${escapeHtml(reason)}</p></body></html>\n`,
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
