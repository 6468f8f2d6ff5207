import type {
  Deployment,
  DeploymentEvent,
  DeploymentState,
  ServiceRecord,
  StoredRelease,
} from './deployment.ts';

/** Row shapes of the agent's tables and their mapping to the domain types. */

export interface DeploymentRow {
  id: number;
  service: string;
  sequence: number;
  previous_sequence: number | null;
  state: DeploymentState;
  attempt: number;
  error_code: string | null;
  error_message: string | null;
  error_details: string | null;
  started_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface EventRow {
  id: number;
  deployment_id: number;
  at: string;
  step: string;
  role: string | null;
  message: string;
  data: string | null;
}

export interface ReleaseRow {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issued_by: string;
  jws: string;
  received_at: string;
}

export interface ServiceRow {
  service: string;
  live_sequence: number | null;
  highest_sequence: number;
  live_since: string | null;
}

export function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: row.id,
    service: row.service,
    sequence: row.sequence,
    previousSequence: row.previous_sequence,
    state: row.state,
    attempt: row.attempt,
    error: row.error_code
      ? {
          code: row.error_code,
          message: row.error_message ?? '',
          details: row.error_details ? (JSON.parse(row.error_details) as string[]) : [],
        }
      : null,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

export function toEvent(row: EventRow): DeploymentEvent {
  return {
    id: row.id,
    deploymentId: row.deployment_id,
    at: row.at,
    step: row.step,
    role: row.role,
    message: row.message,
    data: row.data ? (JSON.parse(row.data) as Record<string, unknown>) : null,
  };
}

export function toRelease(row: ReleaseRow): StoredRelease {
  return {
    service: row.service,
    sequence: row.sequence,
    version: row.version,
    image: row.image,
    issuedBy: row.issued_by,
    jws: row.jws,
    receivedAt: row.received_at,
  };
}

export function toService(row: ServiceRow): ServiceRecord {
  return {
    service: row.service,
    liveSequence: row.live_sequence,
    highestSequence: row.highest_sequence,
    liveSince: row.live_since,
  };
}
