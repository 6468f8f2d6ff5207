/**
 * The proxy's admin API, spoken as JSON over HTTP on a Unix socket. The proxy server
 * (agent/proxy/admin-server.ts) and the agent's client (agent/proxy/proxy-client.ts) both use
 * these types, so the wire format has one definition.
 *
 *   GET    /health                 → { ok: true, pid }
 *   GET    /services               → { services: ServiceRoute[] }
 *   POST   /targets/check          CheckTargetRequest → 200 { healthy: true } | 422 AdminError
 *   PUT    /services/:name         SwitchServiceRequest → 200 { previousTarget } | 409 AdminError
 *   POST   /targets/drain          DrainTargetRequest → 200 DrainResult
 *   DELETE /services/:name         → 200 { removed: boolean }
 *
 * Errors answer `AdminError` with 400 USAGE (invalid body or name; hosts are lower-cased and a
 * path prefix like `api/` becomes `/api` before storing), 404 NOT_FOUND, 500 INTERNAL.
 * Health checks count any 2xx as healthy and do not follow redirects. In-flight counts for
 * drain include open WebSocket tunnels.
 */

export interface HealthCheckSpec {
  path: string;
  intervalMs: number;
  timeoutMs: number;
}

export interface ServiceRoute {
  service: string;
  /** Host headers; [] is catch-all. `*.example.com` matches one label. */
  hosts: string[];
  pathPrefix: string;
  stripPathPrefix: boolean;
  /** `ip:port` of the container serving new requests; `''` for none yet (requests get 503). */
  target: string;
  healthCheckPath: string;
  responseTimeoutMs: number;
}

export interface CheckTargetRequest {
  target: string;
  healthCheck: HealthCheckSpec;
  /** Give up after this long (the deploy timeout). */
  timeoutMs: number;
}

export type SwitchServiceRequest = Omit<ServiceRoute, 'service'>;

export interface SwitchServiceResult {
  previousTarget: string | null;
}

export interface DrainTargetRequest {
  target: string;
  timeoutMs: number;
}

export interface DrainResult {
  drained: boolean;
  /** In-flight requests still open when the timeout hit (0 when drained). */
  remaining: number;
}

export interface AdminError {
  code: 'HEALTH_CHECK_FAILED' | 'PROXY_ROUTE_CONFLICT' | 'USAGE' | 'NOT_FOUND' | 'INTERNAL';
  message: string;
  /** Last HTTP status or network error seen by the health check. */
  lastStatus?: string;
}
