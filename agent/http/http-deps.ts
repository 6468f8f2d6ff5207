import type { Logger } from '../../shared/logger.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ContainerEngine } from '../docker/container-engine.ts';
import type { Deployer } from '../deployer/deployer.ts';
import type { ProxyClient } from '../proxy/proxy-client.ts';
import type { AgentStore } from '../state/agent-store.ts';

export interface HttpDeps {
  hostName: string;
  fleet: string;
  network: string;
  agentVersion: string;
  /** Printable public keys of this agent (the encryption key seals secrets to it). */
  identity: { signingPublicKey: string; encryptionPublicKey: string };
  store: AgentStore;
  deployer: Deployer;
  engine: ContainerEngine;
  logger: Logger;
  /** Signature and policy (fleet, target, sequence, expiry, digest) against this host's trust and state. */
  verifyRelease(jws: string): Promise<ReleaseManifest>;
  /** Verifies an operator bearer token for this agent; returns who called. */
  verifyOperator(token: string | undefined): Promise<{ subject: string }>;
  sleep(ms: number): Promise<void>;
  /** The proxy's operator controls; absent when the agent runs without a proxy. */
  proxyControls?: ProxyControls;
}

/** What the maintenance and pause routes ask of the proxy. */
export type ProxyControls = Pick<ProxyClient, 'setMaintenance' | 'pause' | 'resume'>;
