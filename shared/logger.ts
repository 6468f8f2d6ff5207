import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line: tokens, keys, secret env, registry passwords. */
export const redactedPaths = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'secrets',
  '*.secrets',
  'secretEnv',
  '*.secretEnv',
  'd',
  '*.d',
];

export function createLogger(
  options: { name: string; level?: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.BERTH_LOG_LEVEL ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    destination,
  );
}
