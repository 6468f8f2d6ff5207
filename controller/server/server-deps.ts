import type { ControllerConfig } from '../../shared/config/controller-config.ts';
import { parsePublicKeys, type PublicKey } from '../../shared/keys/index.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SessionBook } from './dashboard/session-book.ts';
import type { PollHub } from './poll-hub.ts';
import type { ControllerStore } from './state/controller-store.ts';

/** The settings the server acts on, with trusted keys parsed once. */
export interface ControllerSettings {
  name: string;
  fleet: string;
  releaseKeys: readonly PublicKey[];
  operatorKeys: readonly PublicKey[];
  staleAfterMs: number;
  longPollMaxMs: number;
  joinTokenTtlSeconds: number;
  /** curl pin of the API certificate's key, when the server knows its certificate. */
  publicKeyPin?: string;
}

export function settingsFromConfig(config: ControllerConfig): ControllerSettings {
  return {
    name: config.name,
    fleet: config.fleet,
    releaseKeys: parsePublicKeys(config.trust.releaseKeys, 'Ed25519'),
    operatorKeys: parsePublicKeys(config.trust.operatorKeys, 'Ed25519'),
    staleAfterMs: config.staleAfterMs,
    longPollMaxMs: config.longPollMaxMs,
    joinTokenTtlSeconds: config.joinTokenTtlSeconds,
  };
}

export interface ControllerServerDeps {
  settings: ControllerSettings;
  store: ControllerStore;
  /** Agents' release polls, keyed by host name. */
  agentPolls: PollHub;
  /** Operators' progress polls, keyed by `releaseKey(…)` or `controlKey(…)`. */
  progressPolls: PollHub;
  sessions: SessionBook;
  logger: Logger;
  now(): Date;
}

export function releaseKey(service: string, sequence: number): string {
  return `${service}#${sequence}`;
}

export function controlKey(service: string, sequence: number): string {
  return `control:${service}#${sequence}`;
}
