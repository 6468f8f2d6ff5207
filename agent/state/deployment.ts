/** Steps of a deploy on one host, in order. The store, logs, API and CLI all use these words. */
export const deploymentSteps = [
  'received',
  'pulling',
  'starting',
  'checking',
  'switching',
  'draining',
] as const;

export const terminalStates = ['done', 'failed', 'rolled_back'] as const;

/**
 * Not terminal, yet not resumed either: a canary serves its share of clients beside the live
 * release until a promotion or abort release (or any newer release) ends it.
 */
export const CANARY_STATE = 'canary';

export type DeploymentStep = (typeof deploymentSteps)[number];
export type TerminalState = (typeof terminalStates)[number];
export type DeploymentState = DeploymentStep | typeof CANARY_STATE | TerminalState;

export function isTerminal(state: DeploymentState): state is TerminalState {
  return (terminalStates as readonly string[]).includes(state);
}

/** Terminal, or parked as a canary: nothing moves until another release arrives. */
export function isSettled(state: DeploymentState): boolean {
  return isTerminal(state) || state === CANARY_STATE;
}

export interface Deployment {
  id: number;
  service: string;
  sequence: number;
  previousSequence: number | null;
  state: DeploymentState;
  attempt: number;
  error: { code: string; message: string; details: string[] } | null;
  startedAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface DeploymentEvent {
  id: number;
  deploymentId: number;
  at: string;
  step: string;
  role: string | null;
  message: string;
  data: Record<string, unknown> | null;
}

export interface StoredRelease {
  service: string;
  sequence: number;
  version: string;
  image: string;
  issuedBy: string;
  jws: string;
  receivedAt: string;
}

export interface ServiceRecord {
  service: string;
  liveSequence: number | null;
  highestSequence: number;
  liveSince: string | null;
}
