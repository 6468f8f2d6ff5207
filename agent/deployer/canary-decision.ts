import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { Deployment } from '../state/deployment.ts';

/** What a deployment of a release does, given the canary parked on its service (if any). */
export type CanaryPlan =
  | {
      kind: 'deploy';
      /** The parked canary to abort before deploying: every other release replaces it. */
      abortFirst: Deployment | null;
      /** Park as a canary with this share of clients instead of switching; null for a normal deploy. */
      canaryPercent: number | null;
    }
  | { kind: 'promote'; canary: Deployment }
  | { kind: 'abort'; canary: Deployment };

export interface CanaryContext {
  /** The service's deployment parked in `canary`, if any. */
  parked: Deployment | null;
  /** The image of the parked canary's release. */
  parkedImage: string | null;
  liveSequence: number | null;
  /** A stored release run again (local rollback) is a plain deploy, whatever it says. */
  rerun: boolean;
}

/** Decides between deploy, promote and abort; throws when the release cannot apply here. Pure. */
export function planCanary(manifest: ReleaseManifest, context: CanaryContext): CanaryPlan {
  const release = `release ${manifest.service} #${manifest.sequence}`;
  const marks = (['canary', 'promotionOf', 'canaryAbortOf'] as const).filter(
    (field) => manifest[field] !== undefined,
  );
  if (marks.length > 1) {
    throw new BerthError('MANIFEST_INVALID', `${release} sets both ${marks.join(' and ')}`, {
      hint: 'publish it again with `berth deploy --canary`, `berth canary promote` or `berth canary abort`',
    });
  }
  const { parked } = context;
  if (context.rerun) return { kind: 'deploy', abortFirst: parked, canaryPercent: null };
  const named = manifest.promotionOf ?? manifest.canaryAbortOf;
  if (named !== undefined) {
    const action = manifest.promotionOf !== undefined ? 'promotes' : 'aborts';
    if (parked?.sequence !== named) {
      throw new BerthError(
        'CANARY_NOT_RUNNING',
        `${release} ${action} canary release ${named}, but ${
          parked ? `the canary running here is release ${parked.sequence}` : 'no canary runs here'
        }`,
        {
          hint: 'see `berth status`; run `berth canary promote|abort` again to name the running one',
        },
      );
    }
    if (manifest.promotionOf !== undefined && context.parkedImage !== manifest.image) {
      throw new BerthError(
        'MANIFEST_INVALID',
        `${release} promotes ${manifest.image}, but canary release ${named} runs ${context.parkedImage ?? 'nothing'}`,
        { hint: 'promote with `berth canary promote`, which re-signs the canary release itself' },
      );
    }
    return manifest.promotionOf !== undefined
      ? { kind: 'promote', canary: parked }
      : { kind: 'abort', canary: parked };
  }
  if (manifest.canary && context.liveSequence === null) {
    throw new BerthError(
      'CANARY_WITHOUT_LIVE',
      `${release} is a canary, but no release of ${manifest.service} is live here to share clients with`,
      { hint: 'deploy the first version without --canary' },
    );
  }
  return { kind: 'deploy', abortFirst: parked, canaryPercent: manifest.canary?.percent ?? null };
}
