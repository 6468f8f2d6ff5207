/**
 * The controller server's HTTP API (pull mode). JSON over HTTPS; clients pin the controller's
 * certificate fingerprint. The server (controller/server/) and its clients (the `berth` CLI in
 * controller/client/, agents in agent/puller/) share these types.
 *
 * Operator calls carry `Authorization: Bearer <operator token>` (shared/auth/operator-token.ts,
 * audience = the controller's name). Agent calls carry a token signed with the agent's identity
 * key (same format: audience = controller name, subject = host name).
 *
 *   GET    /v1/identity                              open → ControllerIdentity
 *   POST   /v1/hosts                {name}           operator → 201 HostTokenIssued
 *   GET    /v1/hosts                                 operator → { hosts: HostRecord[] }
 *   DELETE /v1/hosts/:name                           operator → { name, revokedAt }
 *   POST   /v1/releases             {release: jws}   operator → 201 PublishedRelease
 *   GET    /v1/releases?service=&limit=              operator → { releases: ReleaseHistoryEntry[] }
 *   GET    /v1/releases/:service/:sequence/progress?after=&waitMs=
 *                                                    operator → ReleaseProgress (held until news or waitMs)
 *   GET    /v1/status                                operator → FleetStatus
 *   GET    /v1/audit?limit=                          operator → { entries: AuditEntry[] }
 *   POST   /v1/join                 JoinRequest      join token → JoinAnswer
 *   POST   /v1/controls             {control: jws}   operator → 201 PublishedControl
 *   GET    /v1/controls?service=&limit=              operator → { controls: ControlHistoryEntry[] }
 *   GET    /v1/controls/:service/:sequence?settled=&waitMs=
 *                                                    operator → ControlHistoryEntry (held until more hosts settled)
 *   GET    /v1/agents/:name/releases?known=&controls=&waitMs=
 *                                                    agent → AgentPollAnswer (held ≤ 30 s)
 *   POST   /v1/agents/:name/reports AgentReport      agent → 204
 *   GET    /  /login  POST /login  POST /logout  GET /dashboard.json   the web dashboard (session cookie)
 *
 * Long-polls: `waitMs` defaults to 0 (answer at once) and is capped by the controller's
 * longPollMaxMs. `known` is base64url JSON `{service: highestSequence}`; the answer holds, per
 * service, only the newest release targeting the host whose sequence is above it. `controls`
 * (same encoding, per service the highest control sequence the agent has decided on) asks for
 * signed service controls too: every control still pending for the host above it, oldest first.
 * Without it the answer has no `controls` (agents from before controls). A progress
 * poll is held only when `after` is given and no event is newer; any report for the release
 * (a state change, even without events) ends the hold.
 */
import type { AgentEvent, AgentRoleStatus, AgentRouteControls } from './agent-api.ts';

export interface ControllerIdentity {
  name: string;
  fleet: string;
  /** Printable release keys the controller accepts uploads from (and hands to joining agents). */
  releaseKeys: string[];
  /** curl `--pinnedpubkey` value of the controller's TLS key, for the install one-liner; null when unknown. */
  publicKeyPin: string | null;
}

export interface HostTokenIssued {
  name: string;
  /** One-time secret; the CLI wraps it with URL, fingerprint and keys into the join token. */
  secret: string;
  expiresAt: string;
}

export type HostState = 'pending' | 'active' | 'revoked';

export interface HostRecord {
  name: string;
  state: HostState;
  createdAt: string;
  joinedAt: string | null;
  revokedAt: string | null;
  lastSeenAt: string | null;
  signingPublicKey: string | null;
  encryptionPublicKey: string | null;
}

export interface PublishedRelease {
  service: string;
  sequence: number;
  version: string;
  targets: string[];
}

export interface ReleaseHistoryEntry {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issuedBy: string;
  /** Operator (token subject) who uploaded it. */
  publishedBy: string;
  publishedAt: string;
  rollbackOf: number | null;
  /**
   * Per target host: received | pulling | … | done | failed | rolled_back | refused | pending, or
   * superseded: a newer release of the service was published before the host fetched this one,
   * so it never will (agents fetch only the newest).
   */
  hosts: Record<string, string>;
  jws: string;
}

export interface HostProgress {
  state: string;
  error: { code: string; message: string; details: string[] } | null;
  events: AgentEvent[];
}

export interface ReleaseProgress {
  service: string;
  sequence: number;
  version: string;
  /** Per target host; events are those after the `after` cursor. */
  hosts: Record<string, HostProgress>;
  /** Pass back as `after` to get only newer events. */
  cursor: number;
}

export interface FleetHost {
  name: string;
  state: HostState;
  /** Active, and holding a poll now or reached the controller within longPollMaxMs + 5 s. */
  online: boolean;
  /** Active, and reached the controller within staleAfterMs (its `services` are current). */
  fresh: boolean;
  lastSeenAt: string | null;
  services: AgentRoleStatus[];
}

export interface FleetStatus {
  fleet: string;
  staleAfterMs: number;
  hosts: FleetHost[];
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  detail: string;
}

export interface JoinRequest {
  secret: string;
  name: string;
  signingPublicKey: string;
  encryptionPublicKey: string;
}

export interface JoinAnswer {
  name: string;
  fleet: string;
  controllerName: string;
}

export interface ReleaseRefusal {
  service: string;
  sequence: number;
  code: string;
  message: string;
}

export interface DeploymentProgressReport {
  service: string;
  sequence: number;
  state: string;
  error: { code: string; message: string; details: string[] } | null;
  /** Events not reported before, oldest first. */
  events: AgentEvent[];
}

export interface AgentReport {
  status: {
    services: AgentRoleStatus[];
    sequences: Record<string, { live: number | null; highest: number }>;
  };
  progress: DeploymentProgressReport[];
  refusals: ReleaseRefusal[];
  /** Service controls applied or refused since the last report; absent when none. */
  controls?: ControlReport[];
}

/** The answer to an agent's poll: signed releases, and signed controls when it asked for them. */
export interface AgentPollAnswer {
  releases: string[];
  controls?: string[];
}

/** What an agent did with a signed service control (shared/manifest/control-schema.ts). */
export interface ControlReport {
  service: string;
  sequence: number;
  outcome: 'applied' | 'refused';
  /** Why it was refused; null when applied. */
  error: { code: string; message: string } | null;
  /** The routes' controls after applying; empty when refused. */
  routes: AgentRouteControls[];
}

export interface PublishedControl {
  service: string;
  sequence: number;
  action: string;
  targets: string[];
  expiresAt: string;
}

/** One target's result: pending until it reports; expired when still pending past expiresAt. */
export interface ControlHostResult {
  state: 'pending' | 'applied' | 'refused' | 'expired';
  error: { code: string; message: string } | null;
  routes: AgentRouteControls[];
  updatedAt: string;
}

export interface ControlHistoryEntry {
  service: string;
  sequence: number;
  action: string;
  message: string | null;
  maxPauseMs: number | null;
  issuedBy: string;
  /** Operator (token subject) who uploaded it. */
  publishedBy: string;
  publishedAt: string;
  expiresAt: string;
  hosts: Record<string, ControlHostResult>;
  /** Hosts that applied or refused it: pass back as `settled` to wait for more. */
  settled: number;
  jws: string;
}
