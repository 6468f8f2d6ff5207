import type { ContainerInfo, ContainerState } from './container-engine.ts';

/** The part of `GET /containers/{id}/json` that ContainerInfo is read from. */
export interface ContainerInspection {
  Id: string;
  Name: string;
  Created: string;
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    Health?: { Status: string } | undefined;
  };
  Config: { Image: string; Labels: Record<string, string> | null };
  NetworkSettings: { Networks: Record<string, { IPAddress: string } | undefined> | null };
}

const containerStates: readonly ContainerState[] = [
  'created',
  'running',
  'paused',
  'restarting',
  'removing',
  'exited',
  'dead',
];

/** Maps an engine inspection to the port's ContainerInfo; the address is the one on `network`. */
export function containerInfoFrom(inspection: ContainerInspection, network: string): ContainerInfo {
  const { State: state } = inspection;
  const address = inspection.NetworkSettings.Networks?.[network]?.IPAddress ?? '';
  const status = containerStateFrom(state.Status);
  return {
    id: inspection.Id,
    name: inspection.Name.replace(/^\//, ''),
    image: inspection.Config.Image,
    state: status,
    health: healthFrom(state.Health?.Status),
    ipAddress: state.Running && address !== '' ? address : null,
    labels: { ...inspection.Config.Labels },
    createdAt: new Date(inspection.Created),
    exitCode: status === 'exited' || status === 'dead' ? state.ExitCode : null,
  };
}

function containerStateFrom(status: string): ContainerState {
  return containerStates.find((state) => state === status) ?? 'dead';
}

function healthFrom(status: string | undefined): ContainerInfo['health'] {
  if (status === 'starting' || status === 'healthy' || status === 'unhealthy') return status;
  return null;
}
