import type { Logger } from '../../shared/logger.ts';
import type { ContainerEngine } from '../docker/container-engine.ts';
import type { AgentStore } from '../state/agent-store.ts';
import type { ProxyPort } from './proxy-port.ts';
import type { ServiceLocks } from './service-locks.ts';

/** Everything the deployer and reconciler act through; built once in agent/main.ts. */
export interface DeployerDeps {
  hostName: string;
  fleet: string;
  network: string;
  store: AgentStore;
  engine: ContainerEngine;
  proxy: ProxyPort;
  locks: ServiceLocks;
  logger: Logger;
  /** Opens this host's sealed secrets of a release (JWE → name/value map). */
  openSecrets(sealed: string): Promise<Record<string, string>>;
  sleep(ms: number): Promise<void>;
  /** Fault injection for crash-recovery tests ($BERTH_FAULT_CRASH_AFTER_STEP): SIGKILL self after recording this step. */
  crashAfterStep?: string;
  now(): Date;
}
