import type { ReleaseManifest, Role, RoleProxy } from '../../shared/manifest/schema.ts';
import type { RoleTls } from '../../shared/manifest/schema.ts';
import type { SwitchServiceRequest } from '../proxy/admin-protocol.ts';
import type { ServiceTls } from '../proxy/admin-protocol.ts';

export interface HostRole {
  name: string;
  role: Role;
  /** The proxy's service name for this role, like kamal-proxy's `<service>-<role>`. */
  routeName: string;
}

/** The roles of a release that run on `hostName`, proxied roles first so traffic moves early. */
export function rolesOnHost(manifest: ReleaseManifest, hostName: string): HostRole[] {
  return Object.entries(manifest.roles)
    .filter(([, role]) => role.hosts.includes(hostName))
    .map(([name, role]) => ({ name, role, routeName: routeNameFor(manifest.service, name) }))
    .sort(
      (a, b) =>
        Number(b.role.proxy !== null) - Number(a.role.proxy !== null) ||
        a.name.localeCompare(b.name),
    );
}

export function routeNameFor(service: string, role: string): string {
  return `${service}-${role}`;
}

export function targetAddress(ipAddress: string, appPort: number): string {
  return `${ipAddress}:${appPort}`;
}

/** As kamal-proxy's `--buffer-memory`. */
const defaultBufferMemoryBytes = 1024 * 1024;
/** Kamal's `proxy.logging.request_headers` default. */
const defaultLoggedRequestHeaders = ['Cache-Control', 'Last-Modified', 'User-Agent'];

/**
 * The proxy's route for a role, pointing at `target`. `secrets` are the host's opened
 * secrets: a custom certificate's PEMs are taken from them.
 */
export function routeRequestFor(
  settings: RoleProxy,
  target: string,
  secrets: Readonly<Record<string, string>> = {},
  errorPages?: ReleaseManifest['errorPages'],
): SwitchServiceRequest {
  return {
    hosts: settings.hosts,
    pathPrefix: settings.pathPrefix,
    stripPathPrefix: settings.stripPathPrefix,
    target,
    healthCheckPath: settings.healthCheck.path,
    responseTimeoutMs: settings.responseTimeoutMs,
    ...(settings.tls === undefined ? {} : { tls: routeTlsFor(settings.tls, secrets) }),
    ...(settings.maxRequestBodyBytes === undefined
      ? {}
      : { maxRequestBodyBytes: settings.maxRequestBodyBytes }),
    ...(settings.forwardHeaders === undefined ? {} : { forwardHeaders: settings.forwardHeaders }),
    logRequestHeaders: [...(settings.logRequestHeaders ?? defaultLoggedRequestHeaders)],
    ...(settings.logResponseHeaders === undefined
      ? {}
      : { logResponseHeaders: [...settings.logResponseHeaders] }),
    ...(settings.bufferRequests === false
      ? {}
      : {
          requestBuffering: {
            memoryBytes: settings.bufferMemoryBytes ?? defaultBufferMemoryBytes,
          },
        }),
    ...(errorPages === undefined ? {} : { errorPages }),
  };
}

function routeTlsFor(tls: RoleTls, secrets: Readonly<Record<string, string>>): ServiceTls {
  const settings = { redirectHttp: tls.redirectHttp, hstsMaxAgeSeconds: tls.hstsMaxAgeSeconds };
  if (tls.mode === 'acme') return { mode: 'acme', ...settings };
  return {
    mode: 'custom',
    ...settings,
    certificatePem: secrets[tls.certificatePemSecret ?? ''],
    privateKeyPem: secrets[tls.privateKeyPemSecret ?? ''],
  };
}
