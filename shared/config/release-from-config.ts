import { parseManifest } from '../manifest/parse-manifest.ts';
import {
  MANIFEST_SCHEMA_VERSION,
  type ReleaseManifest,
  type Role,
  type RoleProxy,
  type RoleTls,
} from '../manifest/schema.ts';
import {
  DEFAULT_PROXIED_STOP_TIMEOUT_SECONDS,
  PRIMARY_ROLE,
  type DeployConfig,
  type RoleConfig,
} from './deploy-config.ts';
import type { DeepReadonly } from './deep-freeze.ts';
import { DEFAULT_HSTS_SECONDS, DEFAULT_SSL, DEFAULT_SSL_REDIRECT } from './deploy-proxy-config.ts';

/** The manifest fields that follow from config/deploy.yml alone (besides fleet and service). */
export type ReleaseFields = Pick<
  ReleaseManifest,
  'roles' | 'env' | 'volumes' | 'labels' | 'deployTimeoutMs' | 'drainTimeoutMs' | 'retainReleases'
>;

/** What the CLI adds per deploy to the fields from config. */
export interface ReleaseStamp {
  sequence: number;
  version: string;
  /** Pinned image, `repo@sha256:…`. */
  image: string;
  /** Per host, the JWE from sealSecrets. */
  secrets: Record<string, string>;
  issuedAt: Date;
  issuedBy: string;
  /** From `error_pages_path` (see error-pages-dir.ts), by status. */
  errorPages?: Record<string, string>;
}

function msFrom(seconds: number): number {
  return seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : 0;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}

function roleProxy(
  roleName: string,
  role: DeepReadonly<RoleConfig>,
  root: DeployConfig['proxy'],
): RoleProxy | null {
  const setting = role.proxy ?? roleName === PRIMARY_ROLE;
  if (setting === false) return null;
  const own = setting === true ? {} : setting;
  const hostsOf = (p: {
    host?: string;
    hosts?: readonly string[];
  }): readonly string[] | undefined => (p.host !== undefined ? [p.host] : p.hosts);
  return {
    hosts: [...(hostsOf(own) ?? hostsOf(root) ?? [])],
    pathPrefix: own.path_prefix ?? root.path_prefix,
    stripPathPrefix: own.strip_path_prefix ?? root.strip_path_prefix,
    appPort: own.app_port ?? root.app_port,
    healthCheck: {
      path: own.healthcheck?.path ?? root.healthcheck.path,
      intervalMs: msFrom(own.healthcheck?.interval ?? root.healthcheck.interval),
      timeoutMs: msFrom(own.healthcheck?.timeout ?? root.healthcheck.timeout),
    },
    responseTimeoutMs: msFrom(own.response_timeout ?? root.response_timeout),
    ...roleTls(own, root),
    ...bodyLimit(own.max_request_body ?? root.max_request_body),
    ...forwardHeaders(own.forward_headers ?? root.forward_headers),
    ...requestBuffering(
      own.buffering?.requests ?? root.buffering?.requests,
      own.buffering?.memory ?? root.buffering?.memory,
    ),
    ...loggedHeaders(
      own.logging?.request_headers ?? root.logging?.request_headers,
      own.logging?.response_headers ?? root.logging?.response_headers,
    ),
  };
}

/** Each absent unless set: the agent applies the defaults (Kamal's). */
function loggedHeaders(
  request: readonly string[] | undefined,
  response: readonly string[] | undefined,
): { logRequestHeaders?: string[]; logResponseHeaders?: string[] } {
  return {
    ...(request === undefined ? {} : { logRequestHeaders: [...request] }),
    ...(response === undefined ? {} : { logResponseHeaders: [...response] }),
  };
}

/** Each absent unless set: the agent applies the defaults (on, 1 MiB). */
function requestBuffering(
  requests: boolean | undefined,
  memoryBytes: number | undefined,
): { bufferRequests?: boolean; bufferMemoryBytes?: number } {
  return {
    ...(requests === undefined ? {} : { bufferRequests: requests }),
    ...(memoryBytes === undefined ? {} : { bufferMemoryBytes: memoryBytes }),
  };
}

/** Absent unless set, as the body limit; the proxy then applies Kamal's default. */
function forwardHeaders(trusted: boolean | undefined): { forwardHeaders?: boolean } {
  return trusted === undefined ? {} : { forwardHeaders: trusted };
}

/** Absent from the manifest unless set, so agents that predate the field still accept it. */
function bodyLimit(bytes: number | undefined): { maxRequestBodyBytes?: number } {
  return bytes === undefined ? {} : { maxRequestBodyBytes: bytes };
}

/** `ssl` → the manifest's `tls`: true is ACME, a map names the custom certificate's secrets. */
function roleTls(
  own: DeepReadonly<Exclude<RoleConfig['proxy'], boolean | undefined>>,
  root: DeployConfig['proxy'],
): { tls?: RoleTls } {
  const ssl = own.ssl ?? root.ssl ?? DEFAULT_SSL;
  if (ssl === false) return {};
  const settings = {
    redirectHttp: own.ssl_redirect ?? root.ssl_redirect ?? DEFAULT_SSL_REDIRECT,
    hstsMaxAgeSeconds: own.hsts ?? root.hsts ?? DEFAULT_HSTS_SECONDS,
  };
  if (ssl === true) return { tls: { mode: 'acme', ...settings } };
  return {
    tls: {
      mode: 'custom',
      ...settings,
      certificatePemSecret: ssl.certificate_pem,
      privateKeyPemSecret: ssl.private_key_pem,
    },
  };
}

/** The secrets holding custom certificates, root and roles. */
function certificateSecretNamesOf(config: DeployConfig): string[] {
  const settings = [config.proxy.ssl, ...Object.values(config.servers).map(roleSsl)];
  return settings.flatMap((ssl) =>
    typeof ssl === 'object' ? [ssl.certificate_pem, ssl.private_key_pem] : [],
  );
}

function roleSsl(role: DeepReadonly<RoleConfig>): DeployConfig['proxy']['ssl'] {
  return typeof role.proxy === 'object' ? role.proxy.ssl : undefined;
}

function roleManifest(name: string, role: DeepReadonly<RoleConfig>, config: DeployConfig): Role {
  const proxy = roleProxy(name, role, config.proxy);
  const stopTimeoutSeconds =
    role.stop_timeout ?? (proxy ? DEFAULT_PROXIED_STOP_TIMEOUT_SECONDS : config.drain_timeout);
  return {
    hosts: [...role.hosts],
    ...(role.cmd ? { cmd: [...role.cmd] } : {}),
    proxy,
    env: { ...role.env?.clear },
    secretEnv: unique([...config.env.secret, ...(role.env?.secret ?? [])]),
    stopTimeoutMs: Math.max(1, msFrom(stopTimeoutSeconds)),
  };
}

/**
 * Turns config/deploy.yml into the manifest's roles, env and timeouts (seconds become ms).
 * Role proxy maps are merged over the root proxy; proxy is on for "web" unless set.
 */
export function buildRoleManifests(config: DeployConfig): ReleaseFields {
  const roles = Object.fromEntries(
    Object.entries(config.servers).map(([name, role]) => [name, roleManifest(name, role, config)]),
  );
  return {
    roles,
    env: { ...config.env.clear },
    volumes: [...config.volumes],
    labels: { ...config.labels },
    deployTimeoutMs: msFrom(config.deploy_timeout),
    drainTimeoutMs: msFrom(config.drain_timeout),
    retainReleases: config.retain_containers,
  };
}

/** Every secret name the config refers to (root and roles), for loadSecrets. */
export function secretNamesOf(config: DeployConfig): string[] {
  const perRole = Object.values(config.servers).flatMap((role) => role.env?.secret ?? []);
  return unique([...config.env.secret, ...perRole, ...certificateSecretNamesOf(config)]);
}

/** A complete, validated manifest: the config's fields plus this deploy's stamp. */
export function buildReleaseManifest(config: DeployConfig, stamp: ReleaseStamp): ReleaseManifest {
  const expiresAt = new Date(stamp.issuedAt.getTime() + config.release_ttl * 1000);
  return parseManifest({
    schema: MANIFEST_SCHEMA_VERSION,
    fleet: config.fleet,
    service: config.service,
    sequence: stamp.sequence,
    version: stamp.version,
    issuedAt: stamp.issuedAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
    issuedBy: stamp.issuedBy,
    image: stamp.image,
    secrets: stamp.secrets,
    ...(stamp.errorPages === undefined ? {} : { errorPages: stamp.errorPages }),
    ...buildRoleManifests(config),
  });
}
