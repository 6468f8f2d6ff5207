import { z } from 'zod';
import { BerthError } from './errors.ts';

const PREFIX = 'berth-join-1.';

const joinTokenSchema = z.object({
  url: z.url({ protocol: /^https$/ }),
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  name: z.string().min(1),
  fleet: z.string().min(1),
  controllerName: z.string().min(1),
  secret: z.string().min(32),
  releaseKeys: z.array(z.string()).min(1),
  expiresAt: z.iso.datetime(),
});

/** What `berth hosts add` prints and `berth-agent join` takes: where the controller is, how to pin it, the one-time secret. */
export type JoinToken = z.infer<typeof joinTokenSchema>;

export function encodeJoinToken(token: JoinToken): string {
  return PREFIX + Buffer.from(JSON.stringify(joinTokenSchema.parse(token))).toString('base64url');
}

export function decodeJoinToken(text: string): JoinToken {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) {
    throw new BerthError(
      'USAGE',
      'that is not a Berth join token (it should start with "berth-join-1.")',
      {
        hint: 'copy the whole token `berth hosts add NAME` printed',
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(trimmed.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw new BerthError('USAGE', 'the join token is damaged (not base64url JSON)', {
      hint: 'copy it again, whole',
    });
  }
  const parsed = joinTokenSchema.safeParse(json);
  if (!parsed.success)
    throw new BerthError('USAGE', 'the join token is damaged (fields missing)', {
      hint: 'copy it again, whole',
    });
  return parsed.data;
}
