import { BerthError } from '../errors.ts';
import { pinnedImagePattern } from './schema.ts';

/** A tag can be moved after signing; only a digest names the image that was authorised. */
export function assertImagePinned(image: unknown): void {
  if (typeof image === 'string' && pinnedImagePattern.test(image)) return;
  throw new BerthError(
    'IMAGE_NOT_PINNED',
    `release image ${typeof image === 'string' ? JSON.stringify(image) : typeof image} is not pinned by digest (expected repo@sha256:<64 hex digits>)`,
  );
}
