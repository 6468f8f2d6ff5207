import type { OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ClientRequest, ClientResponse } from '../client-exchange.ts';

/**
 * An HTTP/2 exchange as the HTTP/1.1 shapes the traffic handler takes. Its raw headers lose
 * the pseudo-headers (`:authority` becomes Host), cookie crumbs are joined (RFC 9113
 * §8.2.3), and a body without content-length is flagged as chunked so it is streamed on; the
 * response drops the status message HTTP/2 has no place for. The compat request is its own
 * body stream; otherwise the handler uses only members of ClientRequest and ClientResponse
 * the compat objects have.
 */
export function asHttp1Exchange(
  req: Http2ServerRequest,
  res: Http2ServerResponse,
): { req: ClientRequest; res: ClientResponse } {
  Object.defineProperty(req, 'rawHeaders', { value: http1RawHeaders(req) });
  Object.defineProperty(req, 'body', { value: req });
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
    req: req as unknown as ClientRequest,
    res: res as unknown as ClientResponse,
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
  return headers;
}
