import type { HostState } from '../../shared/api/controller-api.ts';
import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';

export interface PublicationContext {
  fleet: string;
  /** Highest sequence stored for the manifest's service; null when none is. */
  highestSequence: number | null;
  hostState(name: string): HostState | null;
  now: Date;
}

/** Every host the release names in any role, sorted. */
export function releaseTargets(manifest: ReleaseManifest): string[] {
  return [...new Set(Object.values(manifest.roles).flatMap((role) => role.hosts))].sort();
}

function whyNotActive(name: string, state: HostState | null): string | null {
  if (state === 'active') return null;
  if (state === null) return `"${name}" is not registered`;
  return state === 'pending' ? `"${name}" has not joined yet` : `"${name}" was removed`;
}

/** Throws HOST_UNKNOWN naming each target that could not fetch `what` (a release or a control). */
export function requireActiveTargets(
  what: string,
  targets: readonly string[],
  hostState: (name: string) => HostState | null,
): void {
  const problems = targets.flatMap((name) => whyNotActive(name, hostState(name)) ?? []);
  if (problems.length > 0) {
    throw new BerthError(
      'HOST_UNKNOWN',
      `${what} targets hosts that cannot fetch it: ${problems.join(', ')}`,
      {
        hint: 'join each host first: `berth hosts add NAME`, then `berth-agent join TOKEN` on it',
      },
    );
  }
}

/**
 * Throws unless the controller may store and hand out this (signature-verified) release: its
 * fleet, not expired, a sequence above every stored one for the service, and every target an
 * active host. Returns the targets. Pure.
 */
export function checkPublication(manifest: ReleaseManifest, context: PublicationContext): string[] {
  const release = `release ${manifest.service} #${manifest.sequence}`;
  if (manifest.fleet !== context.fleet) {
    throw new BerthError(
      'FLEET_MISMATCH',
      `${release} is for fleet "${manifest.fleet}"; this controller serves fleet "${context.fleet}"`,
    );
  }
  if (context.now.getTime() >= Date.parse(manifest.expiresAt)) {
    throw new BerthError('RELEASE_EXPIRED', `${release} expired at ${manifest.expiresAt}`);
  }
  const highest = context.highestSequence;
  if (highest !== null && manifest.sequence <= highest) {
    throw new BerthError(
      'RELEASE_REPLAYED',
      `${release}: sequence ${manifest.sequence} is not greater than ${highest}, the highest published for service "${manifest.service}"`,
    );
  }
  const targets = releaseTargets(manifest);
  requireActiveTargets(release, targets, (name) => context.hostState(name));
  return targets;
}
