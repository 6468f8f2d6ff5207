import type {
  CanaryRequest,
  CanaryResult,
  CheckTargetRequest,
  DrainResult,
  DrainTargetRequest,
  ServiceRoute,
  ServiceState,
  SwitchServiceRequest,
  SwitchServiceResult,
} from '../proxy/admin-protocol.ts';

/** What the deployer and reconciler ask of the proxy; ProxyClient implements it over the admin socket. */
export interface ProxyPort {
  listServices(): Promise<ServiceRoute[]>;
  /** The routes with their operator controls, the canary slot among them. */
  listServiceStates(): Promise<ServiceState[]>;
  checkTarget(request: CheckTargetRequest): Promise<void>;
  switchService(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult>;
  drainTarget(request: DrainTargetRequest): Promise<DrainResult>;
  removeService(name: string): Promise<void>;
  setCanary(name: string, request: CanaryRequest): Promise<CanaryResult>;
  abortCanary(name: string): Promise<CanaryResult>;
  promoteCanary(name: string): Promise<SwitchServiceResult>;
}
