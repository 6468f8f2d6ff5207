import { describe, expect, it } from 'vitest';
import {
  forwardedRequestHead,
  hostHeaderOf,
  responseHeadersToForward,
} from '../../../agent/proxy/forwarded-headers.ts';

describe('forwardedRequestHead', () => {
  it('tells how the body travels: none, with its length, or chunked', () => {
    expect(forwardedRequestHead(['Host', 'a.test'], '10.0.0.1').body).toBe('none');
    expect(forwardedRequestHead(['Content-Length', '0'], '10.0.0.1').body).toBe('none');
    const withLength = forwardedRequestHead(['Content-Length', '12'], '10.0.0.1');
    expect(withLength.body).toBe('length');
    expect(withLength.headers.slice(0, 2)).toEqual(['Content-Length', '12']);
    const chunked = forwardedRequestHead(['Transfer-Encoding', 'chunked'], '10.0.0.1');
    expect(chunked.body).toBe('chunked');
    expect(chunked.headers.map((item) => item.toLowerCase())).not.toContain('transfer-encoding');
  });

  it('drops hop-by-hop headers and those Connection names, and reads the Host', () => {
    const head = forwardedRequestHead(
      ['HOST', 'a.test', 'Connection', 'keep-alive, X-Private', 'X-Private', '1', 'Accept', '*/*'],
      '10.0.0.1',
    );
    expect(head.host).toBe('a.test');
    const names = head.headers.filter((_, i) => i % 2 === 0);
    expect(names.slice(0, 2)).toEqual(['HOST', 'Accept']);
    expect(names).not.toContain('Connection');
    expect(names).not.toContain('X-Private');
  });
});

describe('responseHeadersToForward', () => {
  it('returns the very same array when nothing is hop-by-hop', () => {
    const raw = ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'];
    expect(responseHeadersToForward(raw)).toBe(raw);
  });

  it('drops hop-by-hop headers and those Connection names, keeping repeated ones', () => {
    const raw = [
      'Content-Type',
      'text/plain',
      'Connection',
      'keep-alive, X-Private',
      'Keep-Alive',
      'timeout=5',
      'X-Private',
      'secret',
      'Transfer-Encoding',
      'chunked',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
    ];
    expect(responseHeadersToForward(raw)).toEqual([
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'a=1',
      'Set-Cookie',
      'b=2',
    ]);
  });
});

describe('hostHeaderOf', () => {
  it('finds Host in any case, and nothing when it is missing', () => {
    expect(hostHeaderOf(['Accept', '*/*', 'hOsT', 'b.test'])).toBe('b.test');
    expect(hostHeaderOf(['Hosts', 'x', 'X-Host', 'y'])).toBeUndefined();
  });
});
