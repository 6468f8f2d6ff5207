import { describe, expect, it } from 'vitest';
import {
  forwardedRequestHead,
  type ClientConnection,
  hostHeaderOf,
  responseHeadersToForward,
} from '../../../agent/proxy/forwarded-headers.ts';

const plain: ClientConnection = { ip: '10.0.0.1', isSecure: false, trustsForwardedHeaders: true };

describe('forwardedRequestHead', () => {
  it('tells how the body travels: none, with its length, or chunked', () => {
    expect(forwardedRequestHead(['Host', 'a.test'], plain).body).toBe('none');
    expect(forwardedRequestHead(['Content-Length', '0'], plain).body).toBe('none');
    const withLength = forwardedRequestHead(['Content-Length', '12'], plain);
    expect(withLength.body).toBe('length');
    expect(withLength.headers.slice(0, 2)).toEqual(['Content-Length', '12']);
    const chunked = forwardedRequestHead(['Transfer-Encoding', 'chunked'], plain);
    expect(chunked.body).toBe('chunked');
    expect(chunked.headers.map((item) => item.toLowerCase())).not.toContain('transfer-encoding');
  });

  it('drops hop-by-hop headers and those Connection names, and reads the Host', () => {
    const head = forwardedRequestHead(
      ['HOST', 'a.test', 'Connection', 'keep-alive, X-Private', 'X-Private', '1', 'Accept', '*/*'],
      plain,
    );
    expect(head.host).toBe('a.test');
    const names = head.headers.filter((_, i) => i % 2 === 0);
    expect(names.slice(0, 2)).toEqual(['HOST', 'Accept']);
    expect(names).not.toContain('Connection');
    expect(names).not.toContain('X-Private');
  });
});

describe('forwardedRequestHead and X-Forwarded-*', () => {
  const fromClient = [
    'Host',
    'shop.test',
    'X-Forwarded-For',
    '203.0.113.9',
    'X-Forwarded-Proto',
    'http',
    'X-Forwarded-Host',
    'edge.test',
  ];
  const forwarded = (client: ClientConnection): Record<string, string> => {
    const { headers } = forwardedRequestHead(fromClient, client);
    const out: Record<string, string> = {};
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] ?? '';
      if (name.startsWith('x-forwarded-')) out[name] = headers[i + 1] ?? '';
    }
    return out;
  };

  it("keeps a trusted client's values, appending its address to the For list", () => {
    expect(forwarded({ ip: '10.0.0.1', isSecure: true, trustsForwardedHeaders: true })).toEqual({
      'x-forwarded-for': '203.0.113.9, 10.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'edge.test',
    });
  });

  it("replaces an untrusted client's values with the connection's", () => {
    expect(forwarded({ ip: '10.0.0.1', isSecure: true, trustsForwardedHeaders: false })).toEqual({
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'shop.test',
    });
    expect(forwarded({ ip: '10.0.0.1', isSecure: false, trustsForwardedHeaders: false })).toEqual({
      'x-forwarded-for': '10.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.test',
    });
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
