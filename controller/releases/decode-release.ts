import { BerthError } from '../../shared/errors.ts';
import { releaseManifestSchema, type ReleaseManifest } from '../../shared/manifest/schema.ts';

/** Reads the payload of a release an agent returned; it is re-signed, so its old signature does not matter. */
export function decodeReleasePayload(jws: string): ReleaseManifest {
  const payload = jws.split('.')[1];
  if (!payload)
    throw new BerthError(
      'MANIFEST_INVALID',
      'the agent returned a release that is not a compact JWS',
    );
  return releaseManifestSchema.parse(
    JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  );
}
