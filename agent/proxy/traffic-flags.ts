import { BerthError } from '../../shared/errors.ts';
import { defaultClientLimits, type ClientLimits } from './client-limits.ts';

/** `berth-agent proxy` flags for client limits, the access log and metrics (parseArgs form). */
export const trafficFlagOptions = {
  'headers-timeout-ms': { type: 'string' },
  'request-timeout-ms': { type: 'string' },
  'keep-alive-timeout-ms': { type: 'string' },
  'access-log': { type: 'boolean' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
} as const;

export type TrafficFlagValues = {
  [
    Name in keyof typeof trafficFlagOptions
  ]?: (typeof trafficFlagOptions)[Name]['type'] extends 'boolean' ? boolean : string;
};

export interface TrafficSettings {
  clientLimits: ClientLimits;
  /** One JSON line per request on stdout. */
  accessLog: boolean;
  /** 0: no metrics listener (`GET /metrics` on the admin socket answers either way). */
  metricsPort: number;
  metricsHost: string;
}

const maxTimeoutMs = 24 * 60 * 60 * 1000;

/** The settings the flags ask for; USAGE when a value is not a number in range. */
export function trafficSettingsFrom(values: TrafficFlagValues): TrafficSettings {
  const clientLimits: ClientLimits = {
    headersTimeoutMs: msIn(
      'headers-timeout-ms',
      values['headers-timeout-ms'],
      defaultClientLimits.headersTimeoutMs,
    ),
    requestTimeoutMs: msIn(
      'request-timeout-ms',
      values['request-timeout-ms'],
      defaultClientLimits.requestTimeoutMs,
    ),
    keepAliveTimeoutMs: msIn(
      'keep-alive-timeout-ms',
      values['keep-alive-timeout-ms'],
      defaultClientLimits.keepAliveTimeoutMs,
    ),
  };
  if (clientLimits.headersTimeoutMs > clientLimits.requestTimeoutMs) {
    throw new BerthError('USAGE', '--headers-timeout-ms must not exceed --request-timeout-ms');
  }
  const metricsPort = Number(values['metrics-port'] ?? 0);
  if (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535) {
    throw new BerthError(
      'USAGE',
      `--metrics-port must be a port number, got "${values['metrics-port']}"`,
    );
  }
  return {
    clientLimits,
    accessLog: values['access-log'] ?? false,
    metricsPort,
    metricsHost: values['metrics-host'] ?? '127.0.0.1',
  };
}

function msIn(flag: string, value: string | undefined, fallback: number): number {
  const ms = Number(value ?? fallback);
  if (!Number.isInteger(ms) || ms <= 0 || ms > maxTimeoutMs) {
    throw new BerthError(
      'USAGE',
      `--${flag} must be a whole number of milliseconds, got "${value}"`,
    );
  }
  return ms;
}
