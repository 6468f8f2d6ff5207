import type { AgentRoleStatus } from '../../../shared/api/agent-api.ts';
import type { AuditEntry, HostState } from '../../../shared/api/controller-api.ts';
import type {
  HostDeployState,
  HostReportedStatus,
  ProgressEvent,
  ReportedError,
  StoredHost,
  StoredRelease,
} from './records.ts';

/** Row shapes of the controller's tables and their mapping to the records the store returns. */

export interface HostRow {
  name: string;
  state: HostState;
  token_hash: string;
  token_expires_at: string;
  token_used_at: string | null;
  signing_public_key: string | null;
  encryption_public_key: string | null;
  created_at: string;
  joined_at: string | null;
  revoked_at: string | null;
  last_seen_at: string | null;
}

export interface HostStatusRow {
  host: string;
  services: string;
  sequences: string;
  reported_at: string;
}

export interface ReleaseRow {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issued_by: string;
  published_by: string;
  published_at: string;
  rollback_of: number | null;
  jws: string;
}

export interface ReleaseHostRow {
  service: string;
  sequence: number;
  host: string;
  state: string;
  error: string | null;
  updated_at: string;
}

export interface EventRow {
  id: number;
  service: string;
  sequence: number;
  host: string;
  at: string;
  step: string;
  role: string | null;
  message: string;
  data: string | null;
}

export type AuditRow = AuditEntry;

export function toHost(row: HostRow): StoredHost {
  return {
    name: row.name,
    state: row.state,
    createdAt: row.created_at,
    joinedAt: row.joined_at,
    revokedAt: row.revoked_at,
    lastSeenAt: row.last_seen_at,
    signingPublicKey: row.signing_public_key,
    encryptionPublicKey: row.encryption_public_key,
    tokenHash: row.token_hash,
    tokenExpiresAt: row.token_expires_at,
    tokenUsedAt: row.token_used_at,
  };
}

export function toHostStatus(row: HostStatusRow): HostReportedStatus {
  return {
    services: JSON.parse(row.services) as AgentRoleStatus[],
    sequences: JSON.parse(row.sequences) as HostReportedStatus['sequences'],
    reportedAt: row.reported_at,
  };
}

export function toRelease(row: ReleaseRow): StoredRelease {
  return {
    service: row.service,
    sequence: row.sequence,
    version: row.version,
    image: row.image,
    issuedBy: row.issued_by,
    publishedBy: row.published_by,
    publishedAt: row.published_at,
    rollbackOf: row.rollback_of,
    jws: row.jws,
  };
}

export function toDeployState(row: ReleaseHostRow): HostDeployState {
  return {
    host: row.host,
    service: row.service,
    sequence: row.sequence,
    state: row.state,
    error: row.error ? (JSON.parse(row.error) as ReportedError) : null,
    updatedAt: row.updated_at,
  };
}

export function toEvent(row: EventRow): ProgressEvent {
  return {
    id: row.id,
    host: row.host,
    at: row.at,
    step: row.step,
    role: row.role,
    message: row.message,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
  };
}
