import { releaseManifestSchema, type ReleaseManifest } from '../../shared/manifest/schema.ts';

/** What a re-signed release says it does with an earlier one. */
export type ReissueMark = Pick<ReleaseManifest, 'rollbackOf' | 'promotionOf' | 'canaryAbortOf'>;

/**
 * An earlier release's payload as a new release (same image and sealed secrets): a new sequence,
 * issue time, issuer and the same lifetime. The earlier release's own canary, rollback and
 * promotion marks are dropped; `mark` says what the new one does.
 */
export function reissueRelease(
  previous: ReleaseManifest,
  stamp: { sequence: number; now: Date; issuedBy: string },
  mark: ReissueMark,
): ReleaseManifest {
  const payload: Partial<ReleaseManifest> = { ...previous };
  for (const field of ['canary', 'rollbackOf', 'promotionOf', 'canaryAbortOf'] as const)
    delete payload[field];
  const lifetimeMs = Date.parse(previous.expiresAt) - Date.parse(previous.issuedAt);
  return releaseManifestSchema.parse({
    ...payload,
    sequence: stamp.sequence,
    issuedAt: stamp.now.toISOString(),
    expiresAt: new Date(stamp.now.getTime() + lifetimeMs).toISOString(),
    issuedBy: stamp.issuedBy,
    ...mark,
  });
}
