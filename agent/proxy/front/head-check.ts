import type { FrontRequest } from './front-request.ts';

/**
 * What the head asks before the request may go on: a Host header (HTTP/1.1 requires one), and
 * for `Expect`, only `100-continue`, which is answered at once as node:http does.
 */
export function checkHead(request: FrontRequest): 'ok' | 'continue' | 'no-host' | 'unmet' {
  const raw = request.rawHeaders;
  let hasHost = false;
  let expect: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.length === 4 && name.toLowerCase() === 'host') hasHost = true;
    else if (name.length === 6 && name.toLowerCase() === 'expect') expect = raw[i + 1] ?? '';
  }
  const isHttp11 = request.httpMinorVersion >= 1;
  if (!hasHost && isHttp11) return 'no-host';
  if (expect === undefined) return 'ok';
  return isHttp11 && isContinueExpectation(expect) ? 'continue' : 'unmet';
}

/** An `Expect` value asking for `100 Continue`, the only expectation a proxy answers. */
export function isContinueExpectation(value: string): boolean {
  return value.trim().toLowerCase() === '100-continue';
}
