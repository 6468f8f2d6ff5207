import { BerthError } from '../../shared/errors.ts';
import { releaseManifestSchema, type ReleaseManifest } from '../../shared/manifest/schema.ts';

/**
 * Reads the payload of a release JWS that was verified when it was received. Only for
 * releases from the agent's own store: anything from outside goes through verifyRelease.
 */
export function decodeStoredManifest(jws: string): ReleaseManifest {
  const payload = jws.split('.')[1];
  if (payload === undefined)
    throw new BerthError('MANIFEST_INVALID', 'stored release is not a compact JWS');
  const json: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  return releaseManifestSchema.parse(json);
}
