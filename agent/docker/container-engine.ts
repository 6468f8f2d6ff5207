/**
 * The port the deployer and reconciler use to act on Docker. Only agent/docker/ implements it
 * (dockerode-engine.ts); tests of pure logic may use an in-memory fake, integration tests the real one.
 */

export type ContainerState =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSpec {
  name: string;
  image: string;
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  network: string;
  /** Docker bind/volume syntax: `name:/path`, `/host:/path[:ro]`. */
  volumes: string[];
  stopTimeoutSeconds: number;
  restartPolicy: 'no' | 'unless-stopped';
  /** Log rotation for the json-file driver, e.g. "10m". */
  logMaxSize: string;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  state: ContainerState;
  /** Docker HEALTHCHECK status when the image declares one. */
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  /** Address on `network`, null when not running or not attached. */
  ipAddress: string | null;
  labels: Record<string, string>;
  createdAt: Date;
  exitCode: number | null;
}

export interface PullProgress {
  status: string;
  layer?: string;
  currentBytes?: number;
  totalBytes?: number;
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface ContainerEngine {
  ping(): Promise<void>;
  ensureNetwork(name: string): Promise<void>;
  hasImage(ref: string): Promise<boolean>;
  pullImage(
    ref: string,
    options?: { auth?: RegistryAuth; onProgress?: (progress: PullProgress) => void },
  ): Promise<void>;
  /** Creates the container; if one with the same name exists it is returned as is (idempotent for crash recovery). */
  createContainer(spec: ContainerSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** Stops gracefully (SIGTERM, then SIGKILL after timeoutSeconds). No error when already stopped. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** No error when already gone. */
  removeContainer(id: string): Promise<void>;
  /** null when no such container. */
  inspectContainer(idOrName: string, network: string): Promise<ContainerInfo | null>;
  /** All containers (running or not) whose labels include every given label. */
  listContainers(labels: Record<string, string>, network: string): Promise<ContainerInfo[]>;
  /** Last `lines` lines of stdout and stderr, oldest first. */
  containerLogs(id: string, lines: number): Promise<string[]>;
  /** No error when absent or still in use. */
  removeImage(ref: string): Promise<void>;
}
