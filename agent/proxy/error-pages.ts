import type { ServerResponse } from 'node:http';

/** The statuses the proxy answers itself; upstream error responses pass through untouched. */
export type ProxyErrorStatus = 400 | 404 | 502 | 503 | 504;

const titles: Record<ProxyErrorStatus, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const reasons: Record<ProxyErrorStatus, string> = {
  400: 'The proxy could not forward this request.',
  404: 'No service is routed for this host and path.',
  502: 'The app refused or dropped the connection before it answered.',
  503: 'The service is temporarily unavailable: it has no running target.',
  504: 'The app did not answer in time.',
};

const statuses: ProxyErrorStatus[] = [400, 404, 502, 503, 504];
const fixedPages = new Map(statuses.map((status) => [status, renderPage(status, reasons[status])]));

/** Answers with the small HTML page for `status`; `host` is named on 404 pages. */
export function sendErrorPage(res: ServerResponse, status: ProxyErrorStatus, host?: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = pageFor(status, host);
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The same page as a whole HTTP/1.1 response, for sockets taken over by an upgrade. */
export function rawErrorResponse(status: ProxyErrorStatus, host?: string): Buffer {
  const body = pageFor(status, host);
  const head =
    `HTTP/1.1 ${status} ${titles[status]}\r\ncontent-type: text/html; charset=utf-8\r\n` +
    `content-length: ${body.length}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function pageFor(status: ProxyErrorStatus, host: string | undefined): Buffer {
  if (status === 404) return renderPage(404, notFoundReason(host));
  return fixedPages.get(status) ?? renderPage(status, reasons[status]);
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
