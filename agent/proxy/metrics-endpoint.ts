import { createServer, type RequestListener, type Server } from 'node:http';
import type { ProxyMetrics } from './proxy-metrics.ts';

/** Prometheus' content type for the text exposition format. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** Answers GET (and HEAD) on any path with the proxy's metrics, like kamal-proxy's metrics port. */
export function metricsHandler(metrics: ProxyMetrics): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return;
    }
    const text = metrics.render();
    res.writeHead(200, {
      'content-type': metricsContentType,
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(text);
  };
}

/** A server for `--metrics-port`, not yet listening. */
export function createMetricsServer(metrics: ProxyMetrics): Server {
  return createServer(metricsHandler(metrics));
}
