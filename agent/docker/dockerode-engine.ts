import Docker from 'dockerode';
import type {
  ContainerEngine,
  ContainerInfo,
  ContainerSpec,
  PullProgress,
  RegistryAuth,
} from './container-engine.ts';
import { containerInfoFrom } from './container-info.ts';
import { berthLabels } from './container-spec.ts';
import { engineError, engineMessage, engineStatusCode, redact } from './docker-error.ts';
import { logLinesFrom } from './log-frames.ts';
import { pullErrorFrom, pullProgressFrom } from './pull-progress.ts';
import { BerthError } from '../../shared/errors.ts';

export const DEFAULT_DOCKER_SOCKET_PATH = '/var/run/docker.sock';
/** dockerode does not negotiate; without a pin it would follow whatever the daemon speaks. */
export const DOCKER_API_VERSION = 'v1.41';

const httpNotModified = 304;
const httpNotFound = 404;
const httpConflict = 409;

/** ContainerEngine over the Docker Engine API, through dockerode. The only dockerode user. */
export class DockerodeEngine implements ContainerEngine {
  readonly #docker: Docker;
  readonly #socketPath: string;
  readonly #scope: Record<string, string>;

  /** `scope` labels are added to every list filter, so an agent only ever sees its own containers. */
  constructor(options: { socketPath?: string; scope?: Record<string, string> } = {}) {
    this.#socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET_PATH;
    this.#scope = options.scope ?? {};
    this.#docker = new Docker({ socketPath: this.#socketPath, version: DOCKER_API_VERSION });
  }

  async ping(): Promise<void> {
    try {
      await this.#docker.ping();
    } catch (error) {
      throw engineError(
        'DOCKER_UNAVAILABLE',
        `Docker engine at ${this.#socketPath} does not answer`,
        error,
      );
    }
  }

  async ensureNetwork(name: string): Promise<void> {
    try {
      await this.#docker.getNetwork(name).inspect();
      return;
    } catch (error) {
      if (engineStatusCode(error) !== httpNotFound) {
        throw engineError('CONTAINER_FAILED', `Could not inspect network ${name}`, error);
      }
    }
    try {
      await this.#docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { [berthLabels.managed]: 'true' },
      });
    } catch (error) {
      // Someone else created it between our inspect and create: that is the state we wanted.
      if (engineStatusCode(error) === httpConflict) return;
      throw engineError('CONTAINER_FAILED', `Could not create network ${name}`, error);
    }
  }

  async hasImage(ref: string): Promise<boolean> {
    try {
      await this.#docker.getImage(ref).inspect();
      return true;
    } catch (error) {
      if (engineStatusCode(error) === httpNotFound) return false;
      throw engineError('CONTAINER_FAILED', `Could not inspect image ${ref}`, error);
    }
  }

  async pullImage(
    ref: string,
    options: { auth?: RegistryAuth; onProgress?: (progress: PullProgress) => void } = {},
  ): Promise<void> {
    const secrets = options.auth ? [options.auth.password] : [];
    const fail = (reason: string): BerthError =>
      new BerthError('IMAGE_PULL_FAILED', redact(`Could not pull ${ref}: ${reason}`, secrets));
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.#docker.pull(ref, options.auth ? { authconfig: options.auth } : {});
    } catch (error) {
      throw fail(engineMessage(error));
    }
    const registryError = await new Promise<string | null>((resolve, reject) => {
      let firstError: string | null = null;
      this.#docker.modem.followProgress(
        stream,
        (error) => (error ? reject(fail(engineMessage(error))) : resolve(firstError)),
        (line: unknown) => {
          firstError ??= pullErrorFrom(line);
          const progress = pullProgressFrom(line);
          if (progress && options.onProgress) options.onProgress(progress);
        },
      );
    });
    if (registryError !== null) throw fail(registryError);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    try {
      const container = await this.#docker.createContainer(createOptionsFor(spec));
      return container.id;
    } catch (error) {
      if (engineStatusCode(error) === httpConflict) {
        const existing = await this.inspectContainer(spec.name, spec.network);
        if (existing) return existing.id;
      }
      throw engineError(
        'CONTAINER_FAILED',
        `Could not create container ${spec.name} from ${spec.image}`,
        error,
      );
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.#docker.getContainer(id).start();
    } catch (error) {
      if (engineStatusCode(error) === httpNotModified) return;
      throw engineError('CONTAINER_FAILED', `Could not start container ${id}`, error);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.#docker.getContainer(id).stop({ t: timeoutSeconds });
    } catch (error) {
      const status = engineStatusCode(error);
      if (status === httpNotModified || status === httpNotFound) return;
      throw engineError('CONTAINER_FAILED', `Could not stop container ${id}`, error);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      // v: anonymous volumes from the image's VOLUME lines would otherwise pile up.
      await this.#docker.getContainer(id).remove({ force: true, v: true });
    } catch (error) {
      // 409: a removal is already in progress.
      const status = engineStatusCode(error);
      if (status === httpNotFound || status === httpConflict) return;
      throw engineError('CONTAINER_FAILED', `Could not remove container ${id}`, error);
    }
  }

  async inspectContainer(idOrName: string, network: string): Promise<ContainerInfo | null> {
    try {
      const inspection = await this.#docker.getContainer(idOrName).inspect();
      return containerInfoFrom(inspection, network);
    } catch (error) {
      if (engineStatusCode(error) === httpNotFound) return null;
      throw engineError('CONTAINER_FAILED', `Could not inspect container ${idOrName}`, error);
    }
  }

  /** Oldest first. Each match is inspected, so state, health and exit code are exact. */
  async listContainers(labels: Record<string, string>, network: string): Promise<ContainerInfo[]> {
    let summaries: Docker.ContainerInfo[];
    try {
      const label = Object.entries({ ...labels, ...this.#scope }).map(
        ([key, value]) => `${key}=${value}`,
      );
      summaries = await this.#docker.listContainers({ all: true, filters: { label } });
    } catch (error) {
      throw engineError('CONTAINER_FAILED', 'Could not list containers', error);
    }
    // A container removed between list and inspect is simply no longer there.
    const infos = await Promise.all(
      summaries.map((summary) => this.inspectContainer(summary.Id, network)),
    );
    return infos
      .filter((info): info is ContainerInfo => info !== null)
      .sort(
        (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.name.localeCompare(b.name),
      );
  }

  /** An absent container has no log lines: callers use this while reporting another failure. */
  async containerLogs(id: string, lines: number): Promise<string[]> {
    try {
      const payload = await this.#docker
        .getContainer(id)
        .logs({ stdout: true, stderr: true, tail: lines, follow: false });
      return logLinesFrom(payload).slice(-lines);
    } catch (error) {
      if (engineStatusCode(error) === httpNotFound) return [];
      throw engineError('CONTAINER_FAILED', `Could not read the log of container ${id}`, error);
    }
  }

  async removeImage(ref: string): Promise<void> {
    try {
      await this.#docker.getImage(ref).remove();
    } catch (error) {
      // 404: already gone; 409: a container (maybe a stopped one kept for rollback) still uses it.
      const status = engineStatusCode(error);
      if (status === httpNotFound || status === httpConflict) return;
      throw engineError('CONTAINER_FAILED', `Could not remove image ${ref}`, error);
    }
  }
}

function createOptionsFor(spec: ContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: spec.labels,
    StopTimeout: spec.stopTimeoutSeconds,
    HostConfig: {
      NetworkMode: spec.network,
      Binds: spec.volumes,
      RestartPolicy: { Name: spec.restartPolicy },
      LogConfig: { Type: 'json-file', Config: { 'max-size': spec.logMaxSize } },
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: {} } },
  };
}
