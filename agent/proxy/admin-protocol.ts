/**
 * The proxy's admin API, spoken as JSON over HTTP on a Unix socket. The proxy server
 * (agent/proxy/admin-server.ts) and the agent's client (agent/proxy/proxy-client.ts) both use
 * these types, so the wire format has one definition.
 *
 *   GET    /health                 → { ok: true, pid, replicaPids? } (replicas: --workers > 1)
 *   GET    /services               → { services: ServiceRoute[] }
 *   POST   /targets/check          CheckTargetRequest → 200 { healthy: true } | 422 AdminError
 *   PUT    /services/:name         SwitchServiceRequest → 200 { previousTarget } | 409 AdminError
 *   POST   /targets/drain          DrainTargetRequest → 200 DrainResult
 *   DELETE /services/:name         → 200 { removed: boolean }
 *   GET    /certificates           → { certificates: CertificateStatus[] }
 *
 * Operator controls, kept across switches and restarts (404 NOT_FOUND for an unknown service):
 *
 *   POST   /services/:name/maintenance     MaintenanceRequest → 200 ServiceState
 *   POST   /services/:name/pause           PauseRequest → 200 ServiceState
 *   POST   /services/:name/resume          → 200 ServiceState
 *   PUT    /services/:name/canary          CanaryRequest → 200 CanaryResult
 *   DELETE /services/:name/canary          → 200 CanaryResult
 *   POST   /services/:name/canary/promote  → 200 SwitchServiceResult | 404 NOT_FOUND (no canary)
 *   GET    /metrics                        → 200 Prometheus text exposition
 *
 * `GET /services` lists `ServiceState`s (route plus controls). A drain that times out cuts the
 * target's open WebSocket tunnels once no route points at the target any more.
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
  /** Request bodies over this many bytes get 413; absent or 0 is unlimited. */
  maxRequestBodyBytes?: number;
  /** Absolute directory of `<status>.html` pages for proxy errors; `{{message}}` is replaced. */
  errorPagesDir?: string;
  /**
   * The same pages inline, by status (what a release carries); not with `errorPagesDir`. Kept
   * in the state file, left out of `GET /services`.
   */
  errorPages?: ErrorPageTexts;
  /** HTTPS for the route's hosts; absent means off. */
  tls?: ServiceTls;
  /**
   * Trust the client's X-Forwarded-For/-Proto/-Host (a load balancer or CDN in front): the
   * client address is appended, the others kept. Untrusted ones are replaced from the
   * connection. Absent: trusted unless the request came over TLS or the route has `tls` (as
   * kamal-proxy's `--forward-headers`).
   */
  forwardHeaders?: boolean;
  /** Request headers the access log records for this service (kamal-proxy's `--log-request-header`). */
  logRequestHeaders?: string[];
  /** Response headers the access log records for this service. */
  logResponseHeaders?: string[];
  /**
   * Read request bodies before the app sees the request, so slow clients hold the proxy, not
   * the app's workers: up to `memoryBytes`, then the rest streams. Absent: bodies stream.
   */
  requestBuffering?: { memoryBytes: number };
}

/** Custom error pages by the status the proxy answers with. */
export type ErrorPageTexts = Partial<Record<'400' | '404' | '413' | '502' | '503' | '504', string>>;

/**
 * How a service's hosts get a certificate on the proxy's HTTPS listener. `acme` needs
 * non-wildcard hosts and reachable port 80 (HTTP-01); `custom` serves the given PEMs by SNI.
 * TLS needs at least one host (no catch-all).
 */
export interface ServiceTls {
  mode: 'acme' | 'custom' | 'off';
  /**
   * `custom` only, required in a switch request: the PEM chain (leaf first) and its private
   * key. The proxy stores them under `<state dir>/certs/<host>/` and leaves them out of the
   * route it saves and lists.
   */
  certificatePem?: string;
  privateKeyPem?: string;
  /** 301 HTTP → HTTPS (path and query kept) once a certificate exists for the host. */
  redirectHttp: boolean;
  /** `Strict-Transport-Security: max-age=N` on HTTPS responses; 0 sends none. */
  hstsMaxAgeSeconds: number;
}

/** One host of a TLS route and the certificate the proxy holds for it. */
export interface CertificateStatus {
  host: string;
  mode: 'acme' | 'custom';
  /** null until a certificate is stored (ACME issuance pending or failed). */
  certificate: {
    source: 'acme' | 'custom';
    serialNumber: string;
    /** ISO 8601. */
    notAfter: string;
    issuer: string;
  } | null;
  /** The last ACME failure for this host, cleared by the next success. */
  lastError?: string;
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

/** Operator controls on a service: a switch keeps them, and they survive a proxy restart. */
export interface ServiceControls {
  /** Present while in maintenance: requests get a 503 page with `message` ('' = default text). */
  maintenance?: { message: string };
  /** Present while paused: new requests wait for resume, or get 504 after `maxPauseMs`. */
  pause?: { maxPauseMs: number };
  /** Present while a canary runs: `percent` of clients, sticky by cookie, go to `target`. */
  canary?: CanarySlot;
}

export interface CanarySlot {
  target: string;
  /** 0–100; a client's side is fixed by its `berth-canary` cookie while the percent holds. */
  percent: number;
}

export type ServiceState = ServiceRoute & ServiceControls;

export interface MaintenanceRequest {
  on: boolean;
  message?: string;
}

export interface PauseRequest {
  maxPauseMs: number;
}

export type CanaryRequest = CanarySlot;

export interface CanaryResult {
  /** The canary target this call replaced or removed, for the caller to drain. */
  previousCanaryTarget: string | null;
}
