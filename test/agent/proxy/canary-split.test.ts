import { describe, expect, it } from 'vitest';
import {
  addSetCookie,
  canaryClientIdIn,
  canaryCookie,
  canarySplit,
  chooseUpstream,
  fnv1a32,
  isCanaryClient,
} from '../../../agent/proxy/canary-split.ts';

describe('canary split', () => {
  it('hashes with 32-bit FNV-1a', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('puts nobody on a 0 % canary and everybody on a 100 % one', () => {
    const ids = ['client-aaaa', 'client-bbbb', 'client-cccc', 'client-dddd'];
    expect(ids.some((id) => isCanaryClient(id, canarySplit('c', 0)))).toBe(false);
    expect(ids.every((id) => isCanaryClient(id, canarySplit('c', 100)))).toBe(true);
  });

  it.each([
    ['berth-canary=abcdefgh12', 'abcdefgh12'],
    ['theme=dark; berth-canary=abcdefgh12; lang=en', 'abcdefgh12'],
    ['theme=dark;berth-canary=abcdefgh12', 'abcdefgh12'],
    ['xberth-canary=abcdefgh12', undefined],
    ['berth-canary=short', undefined],
    ['berth-canary=has spaces in it', undefined],
    ['berth-canary="quoted-id-1"', undefined],
  ])('reads the client id from %j', (header, id) => {
    expect(canaryClientIdIn(header)).toBe(id);
  });

  it('gives a client without a cookie an id, and the cookie for it', () => {
    const split = canarySplit('canary', 50);
    const { upstream, setCookie } = chooseUpstream('main', split, 'theme=dark');
    const id = canaryClientIdIn(setCookie?.split(';')[0]);
    expect(id).toBeDefined();
    expect(upstream).toBe(isCanaryClient(id ?? '', split) ? 'canary' : 'main');
    expect(setCookie).toBe(canaryCookie(id ?? ''));
    expect(setCookie).toMatch(/; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax$/);
  });

  it('sets no cookie when no canary runs', () => {
    expect(chooseUpstream('main', undefined, undefined)).toEqual({
      upstream: 'main',
      setCookie: undefined,
    });
  });

  it("keeps the app's own Set-Cookie headers", () => {
    const headers: Record<string, string | string[] | undefined> = { 'set-cookie': 'a=1' };
    addSetCookie(headers, 'berth-canary=x');
    expect(headers['set-cookie']).toEqual(['a=1', 'berth-canary=x']);
  });
});
