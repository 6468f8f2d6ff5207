import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsServer } from '../../../agent/proxy/metrics-endpoint.ts';
import { ProxyMetrics } from '../../../agent/proxy/proxy-metrics.ts';
import {
  route,
  send,
  startTestProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from './proxy-harness.ts';

/** The value of the sample `name{labels}` in an exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('GET /metrics', () => {
  let proxy: TestProxy;
  let app: TestUpstream;

  beforeAll(async () => {
    proxy = await startTestProxy();
    app = await startUpstream('app');
    await proxy.client.switchService('web', route(app.target, { hosts: ['web.test'] }));
    await proxy.client.switchService(
      'slow',
      route(app.target, { hosts: ['slow.test'], responseTimeoutMs: 200 }),
    );
    await proxy.client.switchService(
      'dead',
      route(`127.0.0.1:${await closedPort()}`, { hosts: ['dead.test'] }),
    );
  });

  afterAll(async () => {
    await proxy.close();
    await app.close();
  });

  it('counts requests by service and status class, with a latency histogram', async () => {
    for (let i = 0; i < 7; i += 1) await send(proxy.url, '/', { host: 'web.test' });
    for (let i = 0; i < 3; i += 1) await send(proxy.url, '/status/404', { host: 'web.test' });
    await send(proxy.url, '/status/503', { host: 'web.test' });
    await send(proxy.url, '/', { host: 'nowhere.test' });

    const text = await proxy.client.metrics();
    expect(text).toContain('# TYPE berth_proxy_requests_total counter');
    expect(text).toContain('# TYPE berth_proxy_request_duration_seconds histogram');
    expect(sample(text, 'berth_proxy_requests_total{service="web",status_class="2xx"}')).toBe(7);
    expect(sample(text, 'berth_proxy_requests_total{service="web",status_class="4xx"}')).toBe(3);
    expect(sample(text, 'berth_proxy_requests_total{service="web",status_class="5xx"}')).toBe(1);
    expect(
      sample(text, 'berth_proxy_requests_total{service="(unrouted)",status_class="4xx"}'),
    ).toBe(1);
    expect(sample(text, 'berth_proxy_request_duration_seconds_count{service="web"}')).toBe(11);
    expect(
      sample(text, 'berth_proxy_request_duration_seconds_bucket{service="web",le="+Inf"}'),
    ).toBe(11);
    expect(sample(text, 'berth_proxy_request_duration_seconds_bucket{service="web",le="10"}')).toBe(
      11,
    );
    expect(sample(text, 'berth_proxy_request_duration_seconds_sum{service="web"}')).toBeGreaterThan(
      0,
    );
    expect(sample(text, 'berth_proxy_in_flight_requests{service="web"}')).toBe(0);
    expect(text).not.toContain('berth_proxy_upstream_errors_total{service="web"');
  });

  it('counts upstream errors by kind: refused connections and response timeouts', async () => {
    await send(proxy.url, '/', { host: 'dead.test' });
    await send(proxy.url, '/', { host: 'dead.test' });
    await send(proxy.url, '/slow?ms=1000', { host: 'slow.test' });
    const text = await proxy.client.metrics();
    expect(sample(text, 'berth_proxy_upstream_errors_total{service="dead",kind="connect"}')).toBe(
      2,
    );
    expect(sample(text, 'berth_proxy_upstream_errors_total{service="slow",kind="timeout"}')).toBe(
      1,
    );
    expect(sample(text, 'berth_proxy_requests_total{service="dead",status_class="5xx"}')).toBe(2);
  });

  it('shows requests in flight', async () => {
    const slow = send(proxy.url, '/slow?ms=600', { host: 'web.test' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(
      sample(await proxy.client.metrics(), 'berth_proxy_in_flight_requests{service="web"}'),
    ).toBe(1);
    await slow;
    expect(
      sample(await proxy.client.metrics(), 'berth_proxy_in_flight_requests{service="web"}'),
    ).toBe(0);
  });
});

describe('metrics listener', () => {
  it('serves the exposition on any path, escaping label values', async () => {
    const metrics = new ProxyMetrics();
    metrics.forService('say "hi"\\').end(200, 0.02);
    const server = createMetricsServer(() => metrics.render());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const response = await request(`http://127.0.0.1:${port}/metrics`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.body.text();
      expect(
        sample(text, 'berth_proxy_requests_total{service="say \\"hi\\"\\\\",status_class="2xx"}'),
      ).toBe(1);
      expect(
        sample(
          text,
          'berth_proxy_request_duration_seconds_bucket{service="say \\"hi\\"\\\\",le="0.01"}',
        ),
      ).toBe(0);
      expect(
        sample(
          text,
          'berth_proxy_request_duration_seconds_bucket{service="say \\"hi\\"\\\\",le="0.025"}',
        ),
      ).toBe(1);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
