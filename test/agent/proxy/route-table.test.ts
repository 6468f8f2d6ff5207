import { describe, expect, it } from 'vitest';
import type { ServiceRoute } from '../../../agent/proxy/admin-protocol.ts';
import {
  findRouteConflict,
  normalizeHost,
  RouteTable,
  upstreamPath,
} from '../../../agent/proxy/route-table.ts';

function service(
  name: string,
  hosts: string[],
  pathPrefix = '/',
  target = `${name}:80`,
): ServiceRoute {
  return {
    service: name,
    hosts,
    pathPrefix,
    stripPathPrefix: true,
    target,
    healthCheckPath: '/up',
    responseTimeoutMs: 1000,
  };
}

const table = new RouteTable(
  [
    service('exact', ['app.example.com']),
    service('wild', ['*.example.com']),
    service('all', []),
    service('api', ['shop.test'], '/api'),
    service('v2', ['shop.test'], '/api/v2'),
    service('none', ['none.test'], '/', ''),
  ],
  (target) => target,
);

function served(host: string | undefined, url: string): string | undefined {
  return table.match(host, url)?.service;
}

describe('RouteTable', () => {
  it.each([
    ['app.example.com', 'exact'],
    ['APP.example.com:443', 'exact'],
    ['app.example.com.', 'exact'],
    ['x.example.com', 'wild'],
    ['a.b.example.com', 'all'],
    ['example.com', 'all'],
    ['10.0.0.1:8080', 'all'],
    ['[::1]:8080', 'all'],
  ])('routes host %s to %s', (host, expected) => {
    expect(served(host, '/')).toBe(expected);
  });

  it('sends requests without a Host header to the catch-all', () => {
    expect(served(undefined, '/')).toBe('all');
  });

  it('matches prefixes on segment boundaries, longest first', () => {
    expect(served('shop.test', '/api')).toBe('api');
    expect(served('shop.test', '/api/v2/x')).toBe('v2');
    expect(served('shop.test', '/api/v20')).toBe('api');
    expect(served('shop.test', '/api?x')).toBe('api');
    expect(served('shop.test', '/apix')).toBeUndefined();
  });

  it('gives a service without a target no upstream', () => {
    expect(table.match('none.test', '/')?.upstream).toBeNull();
    expect(table.match('app.example.com', '/')?.upstream).toBe('exact:80');
  });
});

describe('upstreamPath', () => {
  const entry = (pathPrefix: string, stripPathPrefix = true) => ({
    service: 's',
    pathPrefix,
    stripPathPrefix,
    responseTimeoutMs: 1,
    upstream: null,
  });

  it.each([
    ['/api', '/api/users?x=1', '/users?x=1'],
    ['/api', '/api', '/'],
    ['/api', '/api?x=1', '/?x=1'],
    ['/', '/a/b', '/a/b'],
  ])('with prefix %s turns %s into %s', (prefix, url, expected) => {
    expect(upstreamPath(entry(prefix), url)).toBe(expected);
  });

  it('keeps the prefix when stripping is off', () => {
    expect(upstreamPath(entry('/api', false), '/api/users')).toBe('/api/users');
  });
});

describe('normalizeHost', () => {
  it('drops the port and trailing dot and lower-cases', () => {
    expect(normalizeHost('Example.COM.:8080')).toBe('example.com');
    expect(normalizeHost('[::1]:80')).toBe('[::1]');
  });
});

describe('findRouteConflict', () => {
  const routes = [service('web', ['a.test', 'b.test'], '/app'), service('all', [])];

  it('finds another service on the same host and prefix', () => {
    expect(findRouteConflict(routes, service('new', ['b.test'], '/app'))).toEqual({
      service: 'web',
      host: 'b.test',
      pathPrefix: '/app',
    });
  });

  it('treats two catch-alls on one prefix as a conflict', () => {
    expect(findRouteConflict(routes, service('new', []))?.service).toBe('all');
  });

  it('allows another prefix, another host, or the same service', () => {
    expect(findRouteConflict(routes, service('new', ['a.test'], '/other'))).toBeUndefined();
    expect(findRouteConflict(routes, service('new', ['c.test'], '/app'))).toBeUndefined();
    expect(findRouteConflict(routes, service('web', ['a.test'], '/app'))).toBeUndefined();
  });
});
