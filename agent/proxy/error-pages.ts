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
  const body =
    status === 404 ? renderPage(404, notFoundReason(host)) : (fixedPages.get(status) ?? Buffer.alloc(0));
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
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
