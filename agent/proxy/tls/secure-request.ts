import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/**
 * X-Forwarded-* a client sends over TLS are its own claims: where Berth terminates TLS it is the
 * edge, so no load balancer stands in front to vouch for them (kamal-proxy drops them too).
 * The proxy sets each from the connection instead.
 */
const untrustedOverTls = new Set(['x-forwarded-proto', 'x-forwarded-for', 'x-forwarded-host']);

/**
 * Requests from the HTTPS listener, made to look like the HTTP listener's to the traffic
 * handler, plus `X-Forwarded-Proto: https` (the client's X-Forwarded-* are dropped).
 */
export function markHttp1Secure(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    // Only names of those lengths (15–17) are lowercased and looked up.
    if (name.length >= 15 && name.length <= 17 && untrustedOverTls.has(name.toLowerCase())) {
      continue;
    }
    headers.push(name, raw[i + 1] ?? '');
  }
  headers.push('x-forwarded-proto', 'https');
  req.rawHeaders = headers;
}

/**
 * An HTTP/2 exchange as the HTTP/1.1 shapes the traffic handler takes. Its raw headers lose
 * the pseudo-headers (`:authority` becomes Host), cookie crumbs are joined (RFC 9113
 * §8.2.3), and a body without content-length is flagged as chunked so it is streamed on; the
 * response drops the status message HTTP/2 has no place for. The handler only uses members
 * the compat request and response share with IncomingMessage and ServerResponse.
 */
export function asHttp1Exchange(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): { req: IncomingMessage; res: ServerResponse } {
  Object.defineProperty(req, 'rawHeaders', { value: http1RawHeaders(req) });
  if (req.headers.host === undefined && req.authority !== undefined) {
    req.headers.host = req.authority;
  }
  const writeHead = res.writeHead.bind(res);
  Object.defineProperty(res, 'writeHead', {
    value: (
      statusCode: number,
      messageOrHeaders?: string | OutgoingHttpHeaders,
      headers?: OutgoingHttpHeaders,
    ) => writeHead(statusCode, typeof messageOrHeaders === 'string' ? headers : messageOrHeaders),
  });
  return {
    req: req as unknown as IncomingMessage,
    res: res as unknown as ServerResponse,
  };
}

function http1RawHeaders(req: Http2ServerRequest): string[] {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  let authority: string | undefined;
  let hasHost = false;
  let hasLength = false;
  let cookies: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    if (name.charCodeAt(0) === 58) {
      if (name === ':authority') authority = value;
      continue;
    }
    if (untrustedOverTls.has(name)) continue;
    switch (name) {
      case 'cookie':
        (cookies ??= []).push(value);
        continue;
      case 'host':
        hasHost = true;
        break;
      case 'content-length':
        hasLength = true;
        break;
    }
    headers.push(name, value);
  }
  if (!hasHost && authority !== undefined) headers.unshift('host', authority);
  if (cookies !== undefined) headers.push('cookie', cookies.join('; '));
  if (!hasLength && !req.stream.endAfterHeaders) headers.push('transfer-encoding', 'chunked');
  headers.push('x-forwarded-proto', 'https');
  return headers;
}
