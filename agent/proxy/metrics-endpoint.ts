import { createServer, type RequestListener, type Server } from 'node:http';

/** Prometheus' content type for the text exposition format. */
export const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';

/** The metrics text: one process's, or the sum over a primary and its replicas. */
export type RenderMetrics = () => string | Promise<string>;

/** Answers GET (and HEAD) on any path with the proxy's metrics, like kamal-proxy's metrics port. */
export function metricsHandler(render: RenderMetrics): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return;
    }
    void Promise.resolve(render()).then((text) => {
      res.writeHead(200, {
        'content-type': metricsContentType,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(text);
    });
  };
}

/** A server for `--metrics-port`, not yet listening. */
export function createMetricsServer(render: RenderMetrics): Server {
  return createServer(metricsHandler(render));
}
