import { z } from 'zod';

/** Bumped when a field changes meaning; agents refuse schemas they do not know. */
export const MANIFEST_SCHEMA_VERSION = 1;

export const DEFAULT_HEALTH_CHECK_PATH = '/up';
export const DEFAULT_HEALTH_CHECK_INTERVAL_MS = 1_000;
export const DEFAULT_HEALTH_CHECK_TIMEOUT_MS = 5_000;
export const DEFAULT_DEPLOY_TIMEOUT_MS = 30_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
export const DEFAULT_RETAIN_RELEASES = 5;

/** The statuses the proxy answers itself, so the ones a release may bring its own page for. */
export const errorPageStatuses = ['400', '404', '413', '502', '503', '504'] as const;
export const MAX_ERROR_PAGE_BYTES = 64 * 1024;

export const serviceNamePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const hostNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;
export const pinnedImagePattern = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

/** An HTTP header name (RFC 9110 token). */
export const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const loggedHeaderNames = z.array(z.string().regex(headerNamePattern)).max(20).optional();

export const healthCheckSchema = z
  .object({
    path: z
      .string()
      .startsWith('/')
      .default(DEFAULT_HEALTH_CHECK_PATH)
      .describe('Path the proxy GETs; any 2xx is healthy.'),
    intervalMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_HEALTH_CHECK_INTERVAL_MS)
      .describe('Time between checks.'),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_HEALTH_CHECK_TIMEOUT_MS)
      .describe('Timeout of one check.'),
  })
  .strict();

export const roleTlsSchema = z
  .object({
    mode: z
      .enum(['acme', 'custom'])
      .describe('acme: certificates from the ACME CA (HTTP-01); custom: PEMs from secrets.'),
    redirectHttp: z
      .boolean()
      .default(true)
      .describe('301 from HTTP to HTTPS once the host has a certificate.'),
    hstsMaxAgeSeconds: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('Strict-Transport-Security max-age on HTTPS responses; 0 sends none.'),
    certificatePemSecret: z
      .string()
      .min(1)
      .optional()
      .describe('custom: name of the sealed secret holding the PEM certificate chain.'),
    privateKeyPemSecret: z
      .string()
      .min(1)
      .optional()
      .describe('custom: name of the sealed secret holding the PEM private key.'),
  })
  .strict()
  .superRefine((tls, ctx) => {
    const hasSecrets =
      tls.certificatePemSecret !== undefined && tls.privateKeyPemSecret !== undefined;
    if (tls.mode === 'custom' && !hasSecrets) {
      ctx.addIssue({
        code: 'custom',
        message: 'mode custom needs certificatePemSecret and privateKeyPemSecret',
      });
    }
  });

export const roleProxySchema = z
  .object({
    hosts: z
      .array(z.string().min(1))
      .default([])
      .describe('Host headers routed to this role; empty means catch-all.'),
    pathPrefix: z
      .string()
      .startsWith('/')
      .default('/')
      .describe('Only requests under this path prefix are routed.'),
    stripPathPrefix: z.boolean().default(true).describe('Remove the prefix before forwarding.'),
    appPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(80)
      .describe('Port the app listens on inside the container.'),
    healthCheck: healthCheckSchema
      .prefault({})
      .describe('Health check run by the proxy before the switch.'),
    responseTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_RESPONSE_TIMEOUT_MS)
      .describe('Time the proxy waits for response headers.'),
    tls: roleTlsSchema
      .optional()
      .describe("HTTPS on the proxy for this role's hosts; absent means HTTP only."),
    maxRequestBodyBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Largest request body the proxy forwards; bigger ones get 413. Absent: no limit.'),
    bufferRequests: z
      .boolean()
      .optional()
      .describe('Whether the proxy reads request bodies before passing requests on. Absent: yes.'),
    bufferMemoryBytes: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        'Bytes of one request body the proxy holds before streaming the rest. Absent: 1 MiB.',
      ),
    forwardHeaders: z
      .boolean()
      .optional()
      .describe(
        "Whether the proxy keeps the client's X-Forwarded-* headers. Absent: yes unless the request came over TLS or the role has tls.",
      ),
    logRequestHeaders: loggedHeaderNames.describe(
      'Request headers the access log records. Absent: Cache-Control, Last-Modified, User-Agent.',
    ),
    logResponseHeaders: loggedHeaderNames.describe(
      'Response headers the access log records. Absent: none.',
    ),
  })
  .strict()
  .superRefine((proxy, ctx) => {
    if (proxy.tls !== undefined && proxy.hosts.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'TLS needs at least one host' });
    }
  });

export const roleSchema = z
  .object({
    hosts: z
      .array(z.string().regex(hostNamePattern))
      .min(1)
      .describe('Agent names that run this role.'),
    cmd: z
      .array(z.string())
      .optional()
      .describe('Container command; the image default when absent.'),
    proxy: roleProxySchema
      .nullable()
      .default(null)
      .describe('Proxy settings; null for roles without traffic (jobs).'),
    env: z
      .record(z.string(), z.string())
      .default({})
      .describe('Clear env for this role, merged over the service env.'),
    secretEnv: z
      .array(z.string())
      .default([])
      .describe('Names of sealed secrets this role receives.'),
    stopTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Grace period between SIGTERM and SIGKILL.'),
  })
  .strict();

export const releaseManifestSchema = z
  .object({
    schema: z.literal(MANIFEST_SCHEMA_VERSION).describe('Manifest schema version.'),
    fleet: z
      .string()
      .min(1)
      .describe('Fleet the release is for; agents of other fleets refuse it.'),
    service: z
      .string()
      .regex(serviceNamePattern)
      .describe('Service name; container prefix and label.'),
    sequence: z
      .number()
      .int()
      .positive()
      .describe('Monotonic per service; agents refuse anything not above the last applied.'),
    version: z.string().min(1).max(128).describe('Human version (tag or git sha).'),
    issuedAt: z.iso.datetime().describe('When the release was signed.'),
    expiresAt: z.iso.datetime().describe('Agents refuse the release after this instant.'),
    issuedBy: z.string().default('unknown').describe('Who published the release (audit).'),
    image: z.string().regex(pinnedImagePattern).describe('Image pinned by digest: repo@sha256:….'),
    roles: z.record(z.string().regex(serviceNamePattern), roleSchema).describe('Roles by name.'),
    env: z.record(z.string(), z.string()).default({}).describe('Clear env for every role.'),
    secrets: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        'Per target host, a JWE (ECDH-ES, X25519) sealing a JSON object of secret env values.',
      ),
    volumes: z
      .array(z.string())
      .default([])
      .describe('Volume mounts, Docker syntax (name:/path or /host:/path[:ro]).'),
    labels: z.record(z.string(), z.string()).default({}).describe('Extra container labels.'),
    errorPages: z
      .partialRecord(z.enum(errorPageStatuses), z.string().max(MAX_ERROR_PAGE_BYTES))
      .optional()
      .describe(
        'HTML pages the proxy serves instead of its own, by status; `{{message}}` is replaced.',
      ),
    deployTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_DEPLOY_TIMEOUT_MS)
      .describe('Time the new container has to become healthy.'),
    drainTimeoutMs: z
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_DRAIN_TIMEOUT_MS)
      .describe('Time in-flight requests get on the old container.'),
    retainReleases: z
      .number()
      .int()
      .min(1)
      .default(DEFAULT_RETAIN_RELEASES)
      .describe('Stopped releases kept per service for rollback.'),
    rollbackOf: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Sequence of the release this one rolls back to, if a rollback.'),
    canary: z
      .object({
        percent: z
          .number()
          .int()
          .min(1)
          .max(99)
          .describe('Share of clients (sticky by cookie) the new version gets.'),
      })
      .strict()
      .optional()
      .describe(
        'Deploy as a canary: the live version keeps the other clients until a promotion or abort release.',
      ),
    promotionOf: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Sequence of the parked canary this release makes live (`berth canary promote`).'),
    canaryAbortOf: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Sequence of the parked canary this release stops (`berth canary abort`).'),
  })
  .strict();

export type ReleaseManifest = z.output<typeof releaseManifestSchema>;
export type ReleaseManifestInput = z.input<typeof releaseManifestSchema>;
export type Role = z.output<typeof roleSchema>;
export type RoleProxy = z.output<typeof roleProxySchema>;
export type RoleTls = z.output<typeof roleTlsSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
