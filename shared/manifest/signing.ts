import type { PublicKey, SigningKey } from '../keys/jwk.ts';
import { assertImagePinned } from './image-pin.ts';
import { parseManifest } from './parse-manifest.ts';
import type { ReleaseManifest, ReleaseManifestInput } from './schema.ts';
import { SIGNATURE_ALG, signJsonPayload, verifyJsonPayload } from './signed-payload.ts';

export const RELEASE_SIGNATURE_ALG = SIGNATURE_ALG;
/** JWS `typ` of a release, so an operator token or a service control can never pass for one. */
export const RELEASE_JWS_TYPE = 'berth-release+jws';

/** Validates the manifest and signs it as a compact JWS with the release key. */
export async function signRelease(
  manifest: ReleaseManifest | ReleaseManifestInput,
  key: SigningKey,
): Promise<string> {
  return signJsonPayload(parseManifest(manifest), key, RELEASE_JWS_TYPE);
}

/**
 * Verifies a release JWS against the trusted release keys and returns its manifest. Checks, in
 * order: the header's alg is EdDSA, typ is a release, kid is trusted, the signature holds, the
 * image is pinned, and the payload matches the manifest schema.
 */
export async function verifyReleaseSignature(
  jws: string,
  trustedKeys: readonly PublicKey[],
): Promise<ReleaseManifest> {
  const manifest = await verifyJsonPayload(jws, trustedKeys, {
    typ: RELEASE_JWS_TYPE,
    what: 'release',
    invalidCode: 'MANIFEST_INVALID',
  });
  if (typeof manifest === 'object' && manifest !== null && 'image' in manifest) {
    assertImagePinned(manifest.image);
  }
  return parseManifest(manifest);
}
