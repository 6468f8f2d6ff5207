import { BerthError } from '../errors.ts';
import type { PublicKey } from '../keys/jwk.ts';
import type { ServiceControl } from './control-schema.ts';
import { verifyControlSignature } from './control-signing.ts';

/** What the receiving agent knows about itself when it judges a control. */
export interface ControlTarget {
  fleet: string;
  hostName: string;
  /** Highest control sequence applied for the control's service; null when none was. */
  lastAppliedSequence: number | null;
  now: Date;
}

export function controlLabel(control: Pick<ServiceControl, 'service' | 'sequence'>): string {
  return `control ${control.service} #${control.sequence}`;
}

/** Throws unless this host may apply the (signature-verified) control. Pure. */
export function checkControlPolicy(control: ServiceControl, target: ControlTarget): void {
  const label = controlLabel(control);
  if (control.fleet !== target.fleet) {
    throw new BerthError(
      'FLEET_MISMATCH',
      `${label} is for fleet "${control.fleet}", this agent is in fleet "${target.fleet}"`,
    );
  }
  if (!control.hosts.includes(target.hostName)) {
    throw new BerthError(
      'HOST_NOT_TARGETED',
      `${label} targets ${control.hosts.join(', ')}, not host "${target.hostName}"`,
    );
  }
  const expiresAtMs = Date.parse(control.expiresAt);
  if (!(expiresAtMs > Date.parse(control.issuedAt))) {
    throw new BerthError(
      'CONTROL_INVALID',
      `${label} expires (${control.expiresAt}) no later than it was issued (${control.issuedAt})`,
    );
  }
  if (target.now.getTime() >= expiresAtMs) {
    throw new BerthError(
      'CONTROL_EXPIRED',
      `${label} expired at ${control.expiresAt} (agent clock: ${target.now.toISOString()})`,
    );
  }
  const last = target.lastAppliedSequence;
  if (last !== null && control.sequence <= last) {
    throw new BerthError(
      'CONTROL_REPLAYED',
      `${label}: sequence ${control.sequence} is not greater than ${last}, the last control applied for service "${control.service}"`,
    );
  }
}

export interface VerifyControlOptions extends Omit<ControlTarget, 'lastAppliedSequence'> {
  trustedKeys: readonly PublicKey[];
  /** By service: the service is known only once the signature holds. */
  lastAppliedSequence(service: string): number | null;
}

/** Signature, then policy: what an agent runs on every control it receives. */
export async function verifyControl(
  jws: string,
  options: VerifyControlOptions,
): Promise<ServiceControl> {
  const control = await verifyControlSignature(jws, options.trustedKeys);
  checkControlPolicy(control, {
    ...options,
    lastAppliedSequence: options.lastAppliedSequence(control.service),
  });
  return control;
}
