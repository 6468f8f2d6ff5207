/** The agent API's JSON answers: what the agent sends and the CLI (later the controller) reads. */

export interface AgentDeployment {
  id: number;
  service: string;
  sequence: number;
  previousSequence: number | null;
  state: string;
  attempt: number;
  error: { code: string; message: string; details: string[] } | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface AgentEvent {
  id: number;
  at: string;
  step: string;
  role: string | null;
  message: string;
  data: Record<string, unknown> | null;
}

export interface AgentRoleStatus {
  service: string;
  role: string;
  version: string | null;
  sequence: number | null;
  state: string;
  health: string;
  since: string | null;
  container: string | null;
  /** On a canary's own row (state `canary`): the share of clients it gets. */
  canaryPercent?: number;
}

export interface AgentStatus {
  host: string;
  fleet: string;
  services: AgentRoleStatus[];
  sequences: Record<string, { live: number | null; highest: number }>;
}

export interface AgentReleaseRecord {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issuedBy: string;
  issuedAt: string;
  receivedAt: string;
  rollbackOf: number | null;
  state: string;
  live: boolean;
  jws: string;
}

export const TERMINAL_STATES = ['done', 'failed', 'rolled_back'];

/** One proxy route of a service on a host, with its operator controls. */
export interface AgentRouteControls {
  /** The proxy's route name, `<service>-<role>`. */
  route: string;
  maintenance: { message: string } | null;
  pause: { maxPauseMs: number } | null;
}

/** The answer to maintenance, pause and resume: every proxied role of the service on the host. */
export interface AgentServiceControls {
  host: string;
  service: string;
  routes: AgentRouteControls[];
}
