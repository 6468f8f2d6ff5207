/** Validation for admin requests and state-file entries; values come out normalised. */
import { z } from 'zod';
import type {
  CanaryRequest,
  MaintenanceRequest,
  PauseRequest,
  ServiceControls,
} from './admin-protocol.ts';
import type {
  CheckTargetRequest,
  DrainTargetRequest,
  ServiceRoute,
  SwitchServiceRequest,
} from './admin-protocol.ts';
import { headerNamePattern } from '../../shared/manifest/schema.ts';
import { customCertificateProblem } from './tls/custom-certificate.ts';

const maxDurationMs = 24 * 60 * 60 * 1000;
const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const hostPattern = new RegExp(`^(?:\\*\\.)?${label}(?:\\.${label})*$`);
const targetPattern =
  /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$/;

export const serviceNamePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const durationMs = z.number().int().positive().max(maxDurationMs);
const loggedHeaderNames = z.array(z.string().regex(headerNamePattern)).max(20).optional();

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

/** Two years: the longest HSTS max-age browsers' preload lists ask for. */
const maxHstsMaxAgeSeconds = 2 * 365 * 24 * 60 * 60;

const serviceTlsSchema = z.object({
  mode: z.enum(['acme', 'custom', 'off']),
  certificatePem: z.string().optional(),
  privateKeyPem: z.string().optional(),
  redirectHttp: z.boolean().default(true),
  hstsMaxAgeSeconds: z.number().int().nonnegative().max(maxHstsMaxAgeSeconds).default(0),
});

/** Like errorPagesDir's files: one page per status the proxy answers itself, 256 KiB at most. */
const errorPageTextsSchema = z.partialRecord(
  z.enum(['400', '404', '413', '502', '503', '504']),
  z.string().max(256 * 1024),
);

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
  maxRequestBodyBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
  errorPagesDir: z
    .string()
    .max(4096)
    .regex(/^\/[^\0]*$/, 'expected an absolute directory path')
    .optional(),
  errorPages: errorPageTextsSchema.optional(),
  tls: serviceTlsSchema.optional(),
  forwardHeaders: z.boolean().optional(),
  logRequestHeaders: loggedHeaderNames,
  logResponseHeaders: loggedHeaderNames,
  requestBuffering: z
    .object({
      memoryBytes: z
        .number()
        .int()
        .positive()
        .max(1024 * 1024 * 1024),
    })
    .strict()
    .optional(),
});

/** Switch requests also check TLS against the hosts; stored routes carry no PEMs. */
const switchServiceRequestWithTlsSchema = switchServiceRequestSchema.superRefine((request, ctx) => {
  const problem = tlsProblem(request);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: problem });
  if (request.errorPages !== undefined && request.errorPagesDir !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['errorPages'],
      message: 'give errorPagesDir or errorPages, not both',
    });
  }
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
  return parseWith(switchServiceRequestWithTlsSchema, input);
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

function tlsProblem(request: z.output<typeof switchServiceRequestSchema>): string | undefined {
  const tls = request.tls;
  if (tls === undefined || tls.mode === 'off') return undefined;
  if (request.hosts.length === 0) return `mode ${tls.mode} needs at least one host`;
  if (tls.mode === 'acme') {
    const wildcard = request.hosts.find((host) => host.startsWith('*.'));
    if (wildcard === undefined) return undefined;
    return `ACME (HTTP-01) cannot issue for ${wildcard}; use mode custom with a wildcard certificate`;
  }
  if (tls.certificatePem === undefined || tls.privateKeyPem === undefined) {
    return 'mode custom needs certificatePem and privateKeyPem';
  }
  return customCertificateProblem(tls.certificatePem, tls.privateKeyPem, request.hosts);
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

// Operator controls (maintenance, pause, canary): requests and their saved form.

const maxMessageLength = 2000;
const percent = z.number().min(0).max(100);

const maintenanceRequestSchema = z.object({
  on: z.boolean(),
  message: z.string().max(maxMessageLength).optional(),
});

const pauseRequestSchema = z.object({ maxPauseMs: durationMs });

const canarySlotSchema = z.object({ target, percent });

const serviceControlsSchema = z.object({
  maintenance: z.object({ message: z.string().max(maxMessageLength) }).optional(),
  pause: pauseRequestSchema.optional(),
  canary: canarySlotSchema.optional(),
});

export function parseMaintenanceRequest(input: unknown): Parsed<MaintenanceRequest> {
  return parseWith(maintenanceRequestSchema, input);
}

export function parsePauseRequest(input: unknown): Parsed<PauseRequest> {
  return parseWith(pauseRequestSchema, input);
}

export function parseCanaryRequest(input: unknown): Parsed<CanaryRequest> {
  return parseWith(canarySlotSchema, input);
}

/** The controls saved with a state-file entry; unknown keys (the route's own) are dropped. */
export function parseServiceControls(input: unknown): Parsed<ServiceControls> {
  return parseWith(serviceControlsSchema, input);
}
