import type { HostState } from '../../shared/api/controller-api.ts';
import { BerthError } from '../../shared/errors.ts';
import { controlLabel } from '../../shared/manifest/control-policy.ts';
import type { ServiceControl } from '../../shared/manifest/control-schema.ts';
import { requireActiveTargets } from './publish-policy.ts';

export interface ControlPublicationContext {
  fleet: string;
  /** Highest control sequence stored for the service; null when none is. */
  highestSequence: number | null;
  hostState(name: string): HostState | null;
  now: Date;
}

/**
 * Throws unless the controller may store and hand out this (signature-verified) control: its
 * fleet, not expired, a sequence above every stored control of the service, and every target an
 * active host. Returns the targets, sorted. Pure. The agents check all of it again.
 */
export function checkControlPublication(
  control: ServiceControl,
  context: ControlPublicationContext,
): string[] {
  const label = controlLabel(control);
  if (control.fleet !== context.fleet) {
    throw new BerthError(
      'FLEET_MISMATCH',
      `${label} is for fleet "${control.fleet}"; this controller serves fleet "${context.fleet}"`,
    );
  }
  if (context.now.getTime() >= Date.parse(control.expiresAt)) {
    throw new BerthError('CONTROL_EXPIRED', `${label} expired at ${control.expiresAt}`, {
      hint: 'issue the command again',
    });
  }
  const highest = context.highestSequence;
  if (highest !== null && control.sequence <= highest) {
    throw new BerthError(
      'CONTROL_REPLAYED',
      `${label}: sequence ${control.sequence} is not greater than ${highest}, the highest published for service "${control.service}"`,
      { hint: 'issue the command again; berth picks a higher sequence' },
    );
  }
  const targets = [...new Set(control.hosts)].sort();
  requireActiveTargets(label, targets, (name) => context.hostState(name));
  return targets;
}
