import { BerthError } from '../errors.ts';
import type { PublicKey } from '../keys/jwk.ts';
import { assertImagePinned } from './image-pin.ts';
import type { ReleaseManifest } from './schema.ts';
import { verifyReleaseSignature } from './signing.ts';

/** What the receiving agent knows about itself when it judges a release. */
export interface ReleaseTarget {
  fleet: string;
  hostName: string;
  /** Highest sequence applied for the manifest's service; null when none was. */
  lastAppliedSequence: number | null;
  now: Date;
}

function release(manifest: ReleaseManifest): string {
  return `release ${manifest.service} #${manifest.sequence}`;
}

/** Throws unless this host may apply the (signature-verified) manifest. Pure. */
export function checkReleasePolicy(manifest: ReleaseManifest, target: ReleaseTarget): void {
  if (manifest.fleet !== target.fleet) {
    throw new BerthError(
      'FLEET_MISMATCH',
      `${release(manifest)} is for fleet "${manifest.fleet}", this agent is in fleet "${target.fleet}"`,
    );
  }
  const targeted = Object.values(manifest.roles).some((role) =>
    role.hosts.includes(target.hostName),
  );
  if (!targeted) {
    throw new BerthError(
      'HOST_NOT_TARGETED',
      `${release(manifest)} does not name host "${target.hostName}" in any role`,
    );
  }
  const issuedAtMs = Date.parse(manifest.issuedAt);
  const expiresAtMs = Date.parse(manifest.expiresAt);
  if (!(expiresAtMs > issuedAtMs)) {
    throw new BerthError(
      'MANIFEST_INVALID',
      `${release(manifest)} expires (${manifest.expiresAt}) no later than it was issued (${manifest.issuedAt})`,
    );
  }
  if (target.now.getTime() >= expiresAtMs) {
    throw new BerthError(
      'RELEASE_EXPIRED',
      `${release(manifest)} expired at ${manifest.expiresAt} (agent clock: ${target.now.toISOString()})`,
    );
  }
  const last = target.lastAppliedSequence;
  if (last !== null && manifest.sequence <= last) {
    throw new BerthError(
      'RELEASE_REPLAYED',
      `${release(manifest)}: sequence ${manifest.sequence} is not greater than ${last}, the last sequence applied for service "${manifest.service}"`,
    );
  }
  assertImagePinned(manifest.image);
}

export interface VerifyReleaseOptions extends Omit<ReleaseTarget, 'lastAppliedSequence'> {
  trustedKeys: readonly PublicKey[];
  /** A number, or a lookup by service: the service is known only once the signature holds. */
  lastAppliedSequence: number | null | ((service: string) => number | null);
}

/** Signature, then policy: what an agent runs on every release it receives. */
export async function verifyRelease(
  jws: string,
  options: VerifyReleaseOptions,
): Promise<ReleaseManifest> {
  const manifest = await verifyReleaseSignature(jws, options.trustedKeys);
  const last = options.lastAppliedSequence;
  const lastAppliedSequence = typeof last === 'function' ? last(manifest.service) : last;
  checkReleasePolicy(manifest, { ...options, lastAppliedSequence });
  return manifest;
}
