import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthError } from '../../../shared/errors.ts';
import {
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

const quickCheck = { intervalMs: 100, timeoutMs: 500 };

async function checkFailure(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BerthError);
  return error as BerthError;
}

describe('POST /targets/check', () => {
  let proxy: TestProxy;
  let app: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('passes when the health path answers 2xx', async () => {
    await expect(
      proxy.client.checkTarget({
        target: app.target,
        healthCheck: { path: '/up', ...quickCheck },
        timeoutMs: 2000,
      }),
    ).resolves.toBeUndefined();
  });

  it('fails naming the path, the timeout and the last status', async () => {
    const startedAt = performance.now();
    const error = await checkFailure(
      proxy.client.checkTarget({
        target: app.target,
        healthCheck: { path: '/status/503', ...quickCheck },
        timeoutMs: 800,
      }),
    );
    expect(error.code).toBe('HEALTH_CHECK_FAILED');
    expect(error.message).toContain('/status/503');
    expect(error.message).toContain('800 ms');
    expect(error.message).toContain('last status: 503');
    expect(error.details).toEqual(['last status: 503']);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(750);
  });

  it('reports the network error when nothing listens on the target', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const error = await checkFailure(
      proxy.client.checkTarget({
        target: `127.0.0.1:${port}`,
        healthCheck: { path: '/up', ...quickCheck },
        timeoutMs: 400,
      }),
    );
    expect(error.message).toMatch(/ECONNREFUSED/);
  });

  it('keeps polling until the target comes up', async () => {
    let calls = 0;
    const slowStarter = createServer((_req, res) => {
      calls += 1;
      res.writeHead(calls < 4 ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => slowStarter.listen(0, '127.0.0.1', resolve));
    const { port } = slowStarter.address() as AddressInfo;
    try {
      await proxy.client.checkTarget({
        target: `127.0.0.1:${port}`,
        healthCheck: { path: '/up', ...quickCheck },
        timeoutMs: 3000,
      });
      expect(calls).toBe(4);
    } finally {
      slowStarter.closeAllConnections();
      await new Promise((resolve) => slowStarter.close(resolve));
    }
  });

  it('rejects a malformed request as USAGE', async () => {
    const error = await checkFailure(
      proxy.client.checkTarget({
        target: 'no-port',
        healthCheck: { path: 'up', ...quickCheck },
        timeoutMs: 100,
      }),
    );
    expect(error.code).toBe('USAGE');
    expect(error.message).toContain('target');
  });
});
