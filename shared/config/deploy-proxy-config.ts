import { z } from 'zod';
import {
  DEFAULT_HEALTH_CHECK_INTERVAL_MS,
  DEFAULT_HEALTH_CHECK_PATH,
  DEFAULT_HEALTH_CHECK_TIMEOUT_MS,
  DEFAULT_RESPONSE_TIMEOUT_MS,
  headerNamePattern,
} from '../manifest/schema.ts';
import { configSection, integer, matching } from './config-section.ts';

export const DEFAULT_APP_PORT = 80;
export const DEFAULT_PATH_PREFIX = '/';
export const DEFAULT_STRIP_PATH_PREFIX = true;
export const DEFAULT_HEALTHCHECK_PATH = DEFAULT_HEALTH_CHECK_PATH;
export const DEFAULT_HEALTHCHECK_INTERVAL_SECONDS = DEFAULT_HEALTH_CHECK_INTERVAL_MS / 1000;
export const DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS = DEFAULT_HEALTH_CHECK_TIMEOUT_MS / 1000;
export const DEFAULT_RESPONSE_TIMEOUT_SECONDS = DEFAULT_RESPONSE_TIMEOUT_MS / 1000;
export const DEFAULT_SSL = false;
export const DEFAULT_SSL_REDIRECT = true;
export const DEFAULT_HSTS_SECONDS = 0;

const hostHeader = matching(
  /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i,
  'a host name such as app.example.com or *.example.com',
);
const urlPath = z.string().startsWith('/');
const seconds = z.number().positive();
const port = integer().min(1).max(65535);
const secretName = matching(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  'the name of a secret (letters, digits and "_"), never the PEM itself',
);
const maxHstsSeconds = 2 * 365 * 24 * 60 * 60;
const hstsSeconds = integer().min(0).max(maxHstsSeconds);

const about = {
  host: 'Host header routed to the app, e.g. app.example.com; `*.example.com` matches one label. Without host or hosts the route is a catch-all.',
  hosts: 'Several host headers, instead of `host`.',
  app_port: 'Port the app listens on inside the container.',
  path_prefix: 'Only requests under this path prefix are routed to the app.',
  strip_path_prefix: 'Remove the path prefix before forwarding.',
  response_timeout: 'Seconds the proxy waits for the app to start answering a request.',
  healthcheck:
    'Health check the proxy runs against a new container before it switches traffic to it.',
  path: 'Path the proxy requests; any 2xx answer is healthy.',
  interval: 'Seconds between checks.',
  timeout: 'Seconds one check may take.',
  ssl: 'HTTPS (needs a host): true gets certificates by ACME (HTTP-01, port 80); a map names a custom certificate. Default: false.',
  certificate_pem: 'Secret holding the PEM certificate chain, leaf first.',
  private_key_pem: 'Secret holding the PEM private key.',
  ssl_redirect: 'With ssl: 301 from HTTP to HTTPS once the host has a certificate. Default: true.',
  hsts: 'With ssl: Strict-Transport-Security max-age (seconds) on HTTPS responses. Default: 0, none.',
  max_request_body:
    'Largest request body in bytes; a bigger one gets 413 (declared sizes at once, chunked bodies as they stream). Default: no limit. Kamal: proxy.buffering.max_request_body.',
  buffering:
    "How the proxy reads request bodies before the app sees them (Kamal's proxy.buffering; responses are not buffered).",
  requests:
    "Read each request's body before passing the request on, so a slow client holds the proxy, not one of the app's workers. Default: true, as Kamal.",
  memory:
    'Bytes of one body held in memory (default 1 MiB); a body still arriving past that streams on instead of spilling to disk, so no request body is ever written out.',
  forward_headers:
    "Trust the client's X-Forwarded-For/-Proto/-Host (a load balancer or CDN in front): the client address is appended to X-Forwarded-For and the others kept; otherwise all three are set from the connection. Default: true without ssl, false with it (as Kamal).",
  logging:
    "Headers added to the proxy's access-log line for this app's requests (Kamal's proxy.logging).",
  request_headers:
    'Request headers to log, by name. Default: Cache-Control, Last-Modified, User-Agent, as Kamal.',
  response_headers: 'Response headers to log, by name. Default: none, as Kamal.',
};
const bodyBytes = integer().min(1);
const headerNames = z
  .array(matching(headerNamePattern, 'an HTTP header name such as User-Agent'))
  .max(20);

const loggingSetting = configSection({
  request_headers: headerNames.optional().describe(about.request_headers),
  response_headers: headerNames.optional().describe(about.response_headers),
});

const bufferingSetting = configSection({
  requests: z.boolean().optional().describe(about.requests),
  memory: bodyBytes.optional().describe(about.memory),
});

const sslSetting = z.union([
  z.boolean(),
  configSection({
    certificate_pem: secretName.describe(about.certificate_pem),
    private_key_pem: secretName.describe(about.private_key_pem),
  }),
]);

function oneHostSetting<T extends { host?: string | undefined; hosts?: string[] | undefined }>(
  value: T,
  ctx: z.RefinementCtx,
): void {
  if (value.host !== undefined && value.hosts !== undefined) {
    ctx.addIssue({ code: 'custom', message: 'set either host or hosts, not both' });
  }
}

/** The root `proxy` section: settings every role behind the proxy starts from. */
export const proxyConfigSchema = configSection({
  host: hostHeader.optional().describe(about.host),
  hosts: z.array(hostHeader).min(1).optional().describe(about.hosts),
  app_port: port.default(DEFAULT_APP_PORT).describe(about.app_port),
  path_prefix: urlPath.default(DEFAULT_PATH_PREFIX).describe(about.path_prefix),
  strip_path_prefix: z
    .boolean()
    .default(DEFAULT_STRIP_PATH_PREFIX)
    .describe(about.strip_path_prefix),
  response_timeout: seconds
    .default(DEFAULT_RESPONSE_TIMEOUT_SECONDS)
    .describe(about.response_timeout),
  healthcheck: configSection({
    path: urlPath.default(DEFAULT_HEALTHCHECK_PATH).describe(about.path),
    interval: seconds.default(DEFAULT_HEALTHCHECK_INTERVAL_SECONDS).describe(about.interval),
    timeout: seconds.default(DEFAULT_HEALTHCHECK_TIMEOUT_SECONDS).describe(about.timeout),
  })
    .prefault({})
    .describe(about.healthcheck),
  ssl: sslSetting.optional().describe(about.ssl),
  ssl_redirect: z.boolean().optional().describe(about.ssl_redirect),
  hsts: hstsSeconds.optional().describe(about.hsts),
  max_request_body: bodyBytes.optional().describe(about.max_request_body),
  forward_headers: z.boolean().optional().describe(about.forward_headers),
  buffering: bufferingSetting.optional().describe(about.buffering),
  logging: loggingSetting.optional().describe(about.logging),
})
  .superRefine(oneHostSetting)
  .prefault({})
  .describe('Proxy settings shared by every role behind the proxy.');

/** A role's `proxy` map: any key set here replaces the root `proxy` value for that role. */
export const roleProxyConfigSchema = configSection({
  host: hostHeader.optional().describe(about.host),
  hosts: z.array(hostHeader).min(1).optional().describe(about.hosts),
  app_port: port.optional().describe(about.app_port),
  path_prefix: urlPath.optional().describe(about.path_prefix),
  strip_path_prefix: z.boolean().optional().describe(about.strip_path_prefix),
  response_timeout: seconds.optional().describe(about.response_timeout),
  healthcheck: configSection({
    path: urlPath.optional().describe(about.path),
    interval: seconds.optional().describe(about.interval),
    timeout: seconds.optional().describe(about.timeout),
  })
    .optional()
    .describe(about.healthcheck),
  ssl: sslSetting.optional().describe(about.ssl),
  ssl_redirect: z.boolean().optional().describe(about.ssl_redirect),
  hsts: hstsSeconds.optional().describe(about.hsts),
  max_request_body: bodyBytes.optional().describe(about.max_request_body),
  forward_headers: z.boolean().optional().describe(about.forward_headers),
  buffering: bufferingSetting.optional().describe(about.buffering),
  logging: loggingSetting.optional().describe(about.logging),
}).superRefine(oneHostSetting);

export type ProxyConfig = z.output<typeof proxyConfigSchema>;
export type RoleProxyConfig = z.output<typeof roleProxyConfigSchema>;
