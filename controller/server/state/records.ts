import type { AgentEvent, AgentRoleStatus } from '../../../shared/api/agent-api.ts';
import type { HostRecord } from '../../../shared/api/controller-api.ts';

/** What the store returns: the API's shapes plus what only the controller may see. */

export interface StoredHost extends HostRecord {
  /** SHA-256 (hex) of the one-time join secret; the secret itself is never stored. */
  tokenHash: string;
  tokenExpiresAt: string;
  tokenUsedAt: string | null;
}

export interface StoredRelease {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issuedBy: string;
  publishedBy: string;
  publishedAt: string;
  rollbackOf: number | null;
  /** The signed release as uploaded: secrets in it are sealed per host, never in clear. */
  jws: string;
}

export interface ReportedError {
  code: string;
  message: string;
  details: string[];
}

export interface HostDeployState {
  host: string;
  service: string;
  sequence: number;
  state: string;
  error: ReportedError | null;
  updatedAt: string;
}

export interface ProgressEvent extends AgentEvent {
  host: string;
}

export interface HostReportedStatus {
  services: AgentRoleStatus[];
  sequences: Record<string, { live: number | null; highest: number }>;
  reportedAt: string;
}
