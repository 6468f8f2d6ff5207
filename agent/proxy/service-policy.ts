import type { CanarySplit } from './canary-split.ts';
import type { CustomErrorPages } from './error-pages.ts';
import type { PauseGate } from './pause-gate.ts';
import type { ServiceMetrics } from './proxy-metrics.ts';
import type { Upstream } from './upstream.ts';

/**
 * What the traffic path applies to one service besides routing: operator controls, limits,
 * error pages and metrics. Rebuilt with the routing table and swapped with it.
 */
export interface ServicePolicy {
  readonly healthCheckPath: string;
  /** 0 is unlimited. */
  readonly maxRequestBodyBytes: number;
  readonly errorPages: CustomErrorPages | undefined;
  /** Set while in maintenance; '' means the default text. */
  readonly maintenanceMessage: string | undefined;
  /** Set while paused. */
  readonly pause: PauseGate | undefined;
  readonly canary: CanarySplit<Upstream> | undefined;
  /** Set when request bodies are read ahead of the app. */
  readonly requestBuffering: { readonly memoryBytes: number } | undefined;
  /** The route's explicit `forwardHeaders`, if any. */
  readonly forwardHeaders: boolean | undefined;
  /** The route has HTTPS (its own certificate): its clients are not trusted by default. */
  readonly terminatesTls: boolean;
  /** Headers the access log records, names lowercased; absent when none are asked for. */
  readonly loggedHeaders: LoggedHeaders | undefined;
  readonly metrics: ServiceMetrics;
}

export interface LoggedHeaders {
  readonly request: readonly string[];
  readonly response: readonly string[];
}

/** What happens to a request before it is forwarded. */
export type GateDecision = 'forward' | 'health' | 'maintenance' | 'hold';

/**
 * In maintenance or paused, GET and HEAD to the health path are answered 200 by the proxy (so
 * an outer load balancer keeps the host), everything else gets the 503 page or waits.
 * `upstreamUrl` is the path the app would see, prefix stripped.
 */
export function gateFor(policy: ServicePolicy, method: string, upstreamUrl: string): GateDecision {
  if (policy.maintenanceMessage === undefined && policy.pause === undefined) return 'forward';
  if ((method === 'GET' || method === 'HEAD') && isPath(upstreamUrl, policy.healthCheckPath)) {
    return 'health';
  }
  return policy.maintenanceMessage === undefined ? 'hold' : 'maintenance';
}

function isPath(url: string, path: string): boolean {
  if (!url.startsWith(path)) return false;
  return url.length === path.length || url.charCodeAt(path.length) === 63;
}
