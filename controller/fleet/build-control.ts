import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import {
  CONTROL_SCHEMA_VERSION,
  DEFAULT_CONTROL_LIFETIME_MS,
  type ControlAction,
  type ServiceControl,
} from '../../shared/manifest/control-schema.ts';

/**
 * The statement `berth maintenance|pause|resume` signs in pull mode: the action, for the app's
 * fleet and service, to these hosts, valid for ten minutes so a stale one cannot apply late.
 * Pure.
 */
export function buildControl(options: {
  config: Pick<DeployConfig, 'fleet' | 'service'>;
  hosts: readonly string[];
  action: ControlAction;
  sequence: number;
  issuedBy: string;
  now: Date;
  lifetimeMs?: number;
}): ServiceControl {
  const { config, now } = options;
  return {
    schema: CONTROL_SCHEMA_VERSION,
    fleet: config.fleet,
    service: config.service,
    hosts: [...options.hosts],
    sequence: options.sequence,
    issuedAt: now.toISOString(),
    expiresAt: new Date(
      now.getTime() + (options.lifetimeMs ?? DEFAULT_CONTROL_LIFETIME_MS),
    ).toISOString(),
    issuedBy: options.issuedBy,
    ...options.action,
  };
}
