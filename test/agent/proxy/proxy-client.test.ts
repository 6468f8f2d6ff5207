import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyClient } from '../../../agent/proxy/proxy-client.ts';
import { BerthError } from '../../../shared/errors.ts';
import { route, startTestProxy, type TestProxy } from './proxy-harness.ts';

describe('ProxyClient', () => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startTestProxy();
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('reports the proxy as healthy with its pid', async () => {
    await expect(proxy.client.health()).resolves.toEqual({ ok: true, pid: process.pid });
  });

  it('throws PROXY_UNAVAILABLE naming the socket when nothing listens on it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-no-proxy-'));
    const socketPath = join(dir, 'missing.sock');
    const client = new ProxyClient(socketPath);
    try {
      const error = await client.health().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BerthError);
      expect((error as BerthError).code).toBe('PROXY_UNAVAILABLE');
      expect((error as BerthError).message).toContain(socketPath);
    } finally {
      await client.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects an invalid switch request as USAGE, naming the field', async () => {
    const error = await proxy.client
      .switchService('web', route('127.0.0.1:80', { hosts: ['bad host'], responseTimeoutMs: -1 }))
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('USAGE');
    expect((error as BerthError).message).toMatch(/hosts\.0.*responseTimeoutMs/);
  });

  it('rejects an invalid service name as USAGE', async () => {
    const error = await proxy.client
      .switchService('../etc', route('127.0.0.1:80'))
      .catch((caught: unknown) => caught);
    expect((error as BerthError).code).toBe('USAGE');
  });

  it('normalises hosts and path prefixes', async () => {
    await proxy.client.switchService(
      'norm',
      route('127.0.0.1:80', { hosts: ['Norm.Test', 'norm.test'], pathPrefix: 'api/' }),
    );
    const [saved] = await proxy.client.listServices();
    expect(saved).toMatchObject({ service: 'norm', hosts: ['norm.test'], pathPrefix: '/api' });
  });

  it('refuses to start a second proxy on a socket that answers', async () => {
    await expect(startTestProxy({ dir: proxy.dir })).rejects.toThrow(/already answers/);
  });
});
