import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { BerthError } from '../errors.ts';
import { SIGNING_CURVE } from '../keys/jwk.ts';
import { decodePublicKeyText, formatPublicKey } from '../keys/public-key-text.ts';

/** Field schemas the agent's and the controller's config files share. */
export const absolutePath = z.string().refine(isAbsolute, { error: 'expected an absolute path' });

/** A path that defaults to one derived from another setting (shown in the docs). */
export const derivedPath = (description: string, path: string) =>
  absolutePath.optional().meta({ description, derivedDefault: path });

/** A trusted Ed25519 public key in any accepted form, stored in the printable `ed25519:` form. */
export const trustedKey = z
  .string()
  .superRefine((text, ctx) => {
    try {
      decodePublicKeyText(text, SIGNING_CURVE);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof BerthError ? error.message : 'invalid key',
      });
    }
  })
  .transform((text) => formatPublicKey(decodePublicKeyText(text, SIGNING_CURVE)));
