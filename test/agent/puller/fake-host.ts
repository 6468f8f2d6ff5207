import type { ProxyPort } from '../../../agent/deployer/proxy-port.ts';
import type {
  ContainerEngine,
  ContainerInfo,
  ContainerSpec,
} from '../../../agent/docker/container-engine.ts';
import type {
  CanaryRequest,
  CanarySlot,
  ServiceRoute,
  ServiceState,
  SwitchServiceRequest,
} from '../../../agent/proxy/admin-protocol.ts';

/** Docker in memory: containers keep their names, so a release's stopped container is found again. */
export class MemoryEngine implements ContainerEngine {
  readonly containers = new Map<string, ContainerInfo>();
  readonly created: string[] = [];
  readonly pulled: string[] = [];
  #nextId = 1;

  async ping(): Promise<void> {}
  async ensureNetwork(): Promise<void> {}
  async hasImage(): Promise<boolean> {
    return true;
  }
  async pullImage(ref: string): Promise<void> {
    this.pulled.push(ref);
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const existing = [...this.containers.values()].find((c) => c.name === spec.name);
    if (existing) return existing.id;
    const id = `c${this.#nextId++}`;
    this.created.push(spec.name);
    this.containers.set(id, {
      id,
      name: spec.name,
      image: spec.image,
      state: 'created',
      health: null,
      ipAddress: null,
      labels: { ...spec.labels },
      createdAt: new Date(),
      exitCode: null,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const container = this.#get(id);
    container.state = 'running';
    container.ipAddress = `10.0.0.${id.slice(1)}`;
  }

  async stopContainer(id: string): Promise<void> {
    const container = this.#get(id);
    container.state = 'exited';
    container.ipAddress = null;
  }

  async removeContainer(id: string): Promise<void> {
    this.containers.delete(id);
  }

  async inspectContainer(idOrName: string): Promise<ContainerInfo | null> {
    return (
      [...this.containers.values()].find((c) => c.id === idOrName || c.name === idOrName) ?? null
    );
  }

  async listContainers(labels: Record<string, string>): Promise<ContainerInfo[]> {
    return [...this.containers.values()].filter((c) =>
      Object.entries(labels).every(([key, value]) => c.labels[key] === value),
    );
  }

  async containerLogs(): Promise<string[]> {
    return [];
  }

  async removeImage(): Promise<void> {}

  running(): string[] {
    return [...this.containers.values()].filter((c) => c.state === 'running').map((c) => c.name);
  }

  #get(id: string): ContainerInfo {
    const container = this.containers.get(id);
    if (!container) throw new Error(`no container ${id}`);
    return container;
  }
}

/** The proxy in memory: healthy targets, instant drains, one route per service and its canary slot. */
export class MemoryProxy implements ProxyPort {
  readonly routes = new Map<string, string>();
  readonly canaries = new Map<string, CanarySlot>();

  async listServices(): Promise<ServiceRoute[]> {
    return [];
  }
  async listServiceStates(): Promise<ServiceState[]> {
    return [...this.routes].map(([service, target]) => {
      const canary = this.canaries.get(service);
      return {
        service,
        hosts: [],
        pathPrefix: '/',
        stripPathPrefix: true,
        target,
        healthCheckPath: '/up',
        responseTimeoutMs: 30_000,
        ...(canary ? { canary } : {}),
      };
    });
  }
  async setCanary(name: string, request: CanaryRequest) {
    const previousCanaryTarget = this.canaries.get(name)?.target ?? null;
    this.canaries.set(name, { ...request });
    return { previousCanaryTarget };
  }
  async abortCanary(name: string) {
    const previousCanaryTarget = this.canaries.get(name)?.target ?? null;
    this.canaries.delete(name);
    return { previousCanaryTarget };
  }
  async promoteCanary(name: string) {
    const canary = this.canaries.get(name);
    if (!canary) throw new Error(`no canary on ${name}`);
    const previousTarget = this.routes.get(name) ?? null;
    this.routes.set(name, canary.target);
    this.canaries.delete(name);
    return { previousTarget };
  }
  async checkTarget(): Promise<void> {}
  async switchService(name: string, request: SwitchServiceRequest) {
    const previousTarget = this.routes.get(name) ?? null;
    this.routes.set(name, request.target);
    return { previousTarget };
  }
  async drainTarget() {
    return { drained: true, remaining: 0 };
  }
  async removeService(name: string): Promise<void> {
    this.routes.delete(name);
  }
}
