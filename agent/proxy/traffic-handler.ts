import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../shared/logger.ts';
import { sendErrorPage } from './error-pages.ts';
import { ForwardHandler } from './forward-handler.ts';
import { clientIpOf, forwardedRequestHead } from './forwarded-headers.ts';
import { upstreamPath, type RouteTable } from './route-table.ts';
import type { Upstream } from './upstream.ts';

/** Where the handler reads the live routing table; a switch replaces `table` in one assignment. */
export interface RouteTableSource {
  readonly table: RouteTable<Upstream>;
}

/**
 * The client-facing request listener: route by Host and path, then stream to the target. The
 * table is read once per request, so a request keeps the target it was routed to even if a
 * switch happens while it is in flight.
 */
export function createTrafficHandler(
  routes: RouteTableSource,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const head = forwardedRequestHead(req.rawHeaders, clientIpOf(req.socket.remoteAddress));
    let url = req.url ?? '/';
    let host = head.host;
    if (url.charCodeAt(0) !== 47) {
      const absolute = parseAbsoluteForm(url);
      if (absolute === undefined) {
        sendErrorPage(res, 400);
        return;
      }
      url = absolute.path;
      host = absolute.host;
    }

    const entry = routes.table.match(host, url);
    if (entry === undefined) {
      sendErrorPage(res, 404, host);
      return;
    }
    const upstream = entry.upstream;
    if (upstream === null) {
      sendErrorPage(res, 503);
      return;
    }

    const handler = new ForwardHandler(res, upstream, logger);
    upstream.pool.dispatch(
      {
        method: req.method ?? 'GET',
        path: upstreamPath(entry, url),
        headers: head.headers,
        body: head.hasBody ? req : null,
        headersTimeout: entry.responseTimeoutMs,
        bodyTimeout: 0,
      },
      handler,
    );
  };
}

/** `GET http://host/path HTTP/1.1` (absolute form): the URL's host wins over the Host header. */
function parseAbsoluteForm(url: string): { host: string; path: string } | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  return { host: parsed.host, path: `${parsed.pathname}${parsed.search}` };
}
