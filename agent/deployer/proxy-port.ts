import type {
  CheckTargetRequest,
  DrainResult,
  DrainTargetRequest,
  ServiceRoute,
  SwitchServiceRequest,
  SwitchServiceResult,
} from '../proxy/admin-protocol.ts';

/** What the deployer and reconciler ask of the proxy; ProxyClient implements it over the admin socket. */
export interface ProxyPort {
  listServices(): Promise<ServiceRoute[]>;
  checkTarget(request: CheckTargetRequest): Promise<void>;
  switchService(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult>;
  drainTarget(request: DrainTargetRequest): Promise<DrainResult>;
  removeService(name: string): Promise<void>;
}
