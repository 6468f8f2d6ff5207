/** Validation for admin requests and state-file entries; values come out normalised. */
import { z } from 'zod';
import type {
  CheckTargetRequest,
  DrainTargetRequest,
  ServiceRoute,
  SwitchServiceRequest,
} from './admin-protocol.ts';

const maxDurationMs = 24 * 60 * 60 * 1000;
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const hostPattern = new RegExp(`^(?:\\*\\.)?${label}(?:\\.${label})*$`);
const targetPattern =
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export const serviceNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const durationMs = z.number().int().positive().max(maxDurationMs);

const serviceName = z
  .string()
  .regex(serviceNamePattern, 'expected letters, digits, ".", "_" or "-" (at most 128)');

const target = z.string().refine((value) => {
  const port = targetPattern.exec(value)?.[1];
  return port !== undefined && Number(port) >= 1 && Number(port) <= 65535;
}, 'expected ip:port');

const host = z
  .string()
  .transform((value) => value.toLowerCase().replace(/\.$/, ''))
  .pipe(z.string().max(253).regex(hostPattern, 'expected a host name or *.domain'));

const pathPrefix = z
  .string()
  .regex(/^[^\s?#]*$/, 'expected a path without spaces, "?" or "#"')
  .transform(normalizePathPrefix);

const switchServiceRequestSchema = z.object({
  hosts: z
    .array(host)
    .max(100)
    .transform((hosts) => [...new Set(hosts)]),
  pathPrefix,
  stripPathPrefix: z.boolean(),
  /** '' means no target yet: the route exists and answers 503. */
  target: z.union([z.literal(''), target]),
  healthCheckPath: z.string().regex(/^\/\S*$/, 'expected a path starting with "/"'),
  responseTimeoutMs: durationMs,
});

const serviceRouteSchema = switchServiceRequestSchema.extend({ service: serviceName });

const checkTargetRequestSchema = z.object({
  target,
  healthCheck: z.object({
    path: z.string().regex(/^\/\S*$/, 'expected a path starting with "/"'),
    intervalMs: durationMs,
    timeoutMs: durationMs,
  }),
  timeoutMs: durationMs,
});

const drainTargetRequestSchema = z.object({
  target,
  timeoutMs: z.number().int().nonnegative().max(maxDurationMs),
});

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parseSwitchServiceRequest(input: unknown): Parsed<SwitchServiceRequest> {
  return parseWith(switchServiceRequestSchema, input);
}

export function parseServiceRoute(input: unknown): Parsed<ServiceRoute> {
  return parseWith(serviceRouteSchema, input);
}

export function parseCheckTargetRequest(input: unknown): Parsed<CheckTargetRequest> {
  return parseWith(checkTargetRequestSchema, input);
}

export function parseDrainTargetRequest(input: unknown): Parsed<DrainTargetRequest> {
  return parseWith(drainTargetRequestSchema, input);
}

/** `api/` → `/api`, `` → `/`: one spelling per prefix so conflicts compare equal. */
function normalizePathPrefix(prefix: string): string {
  return `/${prefix.replace(/^\/+|\/+$/g, '')}`;
}

function parseWith<T>(schema: z.ZodType<T>, input: unknown): Parsed<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  const problem = result.error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem };
}
