import type { AgentRoleStatus } from '../../shared/api/agent-api.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import type { PublicKey } from '../../shared/keys/index.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';

/** One host's view for `berth status`. `online`/`fresh` are known only through a controller. */
export interface HostView {
  host: string;
  reachable: boolean;
  online: boolean | null;
  fresh: boolean | null;
  lastSeenAt: string | null;
  error: string | null;
  roles: AgentRoleStatus[];
}

/** One release for `berth releases` and `berth rollback`; `hosts` maps host → live | done | failed | … */
export interface ReleaseView {
  sequence: number;
  version: string;
  image: string;
  issuedBy: string;
  issuedAt: string;
  rollbackOf: number | null;
  hosts: Record<string, string>;
  jws: string;
}

/** How one host's deployment of a release ended. */
export interface HostOutcome {
  host: string;
  state: string;
  error: { code: string; message: string; details: string[] } | null;
}

/**
 * The hosts of one service, reached either directly (each agent's API) or through a controller.
 * Commands speak to this, so `berth deploy` reads the same in both modes.
 */
export interface Fleet {
  readonly mode: 'direct' | 'controller';
  readonly config: DeployConfig;
  readonly operator: string;
  /** The highest release sequence any host (or the controller) has seen for the service. */
  highestSequence(): Promise<number>;
  /** Encryption keys of the hosts, for sealing secrets to each. */
  encryptionKeys(hosts: string[]): Promise<Record<string, PublicKey>>;
  /** Delivers a signed release and follows every target host to the end, printing progress. */
  deliver(
    jws: string,
    manifest: ReleaseManifest,
    output: CliOutput,
    options: { json: boolean },
  ): Promise<HostOutcome[]>;
  status(): Promise<HostView[]>;
  releases(limit: number): Promise<ReleaseView[]>;
  close(): Promise<void>;
}
