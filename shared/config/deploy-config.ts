import { z } from 'zod';
import {
  DEFAULT_DEPLOY_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_RETAIN_RELEASES,
  hostNamePattern,
  serviceNamePattern,
} from '../manifest/schema.ts';
import { loadConfigFile } from './config-file.ts';
import { configSection, integer, matching, textValue } from './config-section.ts';
import type { DeepReadonly } from './deep-freeze.ts';
import { proxyConfigSchema, roleProxyConfigSchema } from './deploy-proxy-config.ts';

export const DEFAULT_DEPLOY_CONFIG_PATH = 'config/deploy.yml';
export const DEFAULT_FLEET = 'default';
/** The role a plain list of servers becomes, and the only role behind the proxy by default. */
export const PRIMARY_ROLE = 'web';
export const DEFAULT_DEPLOY_TIMEOUT_SECONDS = DEFAULT_DEPLOY_TIMEOUT_MS / 1000;
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = DEFAULT_DRAIN_TIMEOUT_MS / 1000;
export const DEFAULT_RETAIN_CONTAINERS = DEFAULT_RETAIN_RELEASES;
export const DEFAULT_PROXIED_STOP_TIMEOUT_SECONDS = 10;
// An hour covers a staged rollout and an agent that reboots during it, yet a release withheld
// from an agent (a freeze attack) goes stale the same day.
export const DEFAULT_RELEASE_TTL_SECONDS = 3_600;
export const MIN_RELEASE_TTL_SECONDS = 60;
export const MAX_RELEASE_TTL_SECONDS = 7 * 24 * 3_600;

export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const imageRepositoryPattern =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

const serviceName = matching(serviceNamePattern, 'lowercase letters, digits, "_" or "-"');
const roleName = matching(
  serviceNamePattern,
  'a role name (lowercase letters, digits, "_" or "-")',
).meta({
  title: 'role',
});
const hostName = matching(hostNamePattern, 'an agent name (letters, digits, ".", "_" or "-")');
const envName = matching(envNamePattern, 'an env var name (letters, digits and "_")').meta({
  title: 'NAME',
});
const seconds = z.number().positive();

const flatEnvName = envName
  .refine((name) => name !== 'clear' && name !== 'secret', {
    error:
      '"clear" and "secret" belong to the {clear, secret} form, which cannot mix with NAME: value entries',
  })
  .meta({ title: 'NAME' });

const envSchema = z.union([
  z.record(flatEnvName, textValue).transform((clear) => ({ clear, secret: [] as string[] })),
  configSection({
    clear: z
      .record(envName, textValue)
      .prefault({})
      .describe('Env vars written into the release as is.'),
    secret: z
      .array(envName)
      .default([])
      .describe(
        'Names of secrets, read from the environment or .berth/secrets and sealed per host.',
      ),
  }),
]);

const hostList = z.array(hostName).min(1);

const roleSchema = configSection({
  hosts: hostList.describe('Agent names that run this role.'),
  cmd: z
    .union([
      z
        .string()
        .min(1)
        .transform((command) => command.trim().split(/\s+/)),
      z.array(z.string()).min(1),
    ])
    .optional()
    .describe(
      'Container command; a string is split on whitespace, so use a list for arguments with spaces.',
    ),
  env: envSchema.optional().describe('Env for this role, merged over the root env.'),
  proxy: z
    .union([z.boolean(), roleProxyConfigSchema])
    .optional()
    .describe(
      `Route traffic to this role: true, false, or a map merged over the root proxy. Default: true for "${PRIMARY_ROLE}", false for other roles.`,
    ),
  stop_timeout: seconds
    .optional()
    .describe(
      `Seconds between SIGTERM and SIGKILL. Default: ${DEFAULT_PROXIED_STOP_TIMEOUT_SECONDS} behind the proxy, drain_timeout otherwise.`,
    ),
});

export type RoleConfig = z.output<typeof roleSchema>;

const serversSchema = z
  .union([
    hostList.transform((hosts): Record<string, RoleConfig> => ({ [PRIMARY_ROLE]: { hosts } })),
    z
      .record(
        roleName,
        z
          .union([hostList.transform((hosts): RoleConfig => ({ hosts })), roleSchema])
          .describe('A list of agent names, or a role map.'),
      )
      .refine((roles) => Object.keys(roles).length > 0, { error: 'expected at least one role' }),
  ])
  .describe(
    `Either a list of agent names (the "${PRIMARY_ROLE}" role), or a map of role name to a list of agent names or a role map.`,
  );

const registrySecret = z.tuple(
  [
    z
      .string()
      .regex(envNamePattern, { error: 'expected the name of a secret (letters, digits and "_")' }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_type'
        ? 'expected a list naming a secret, e.g. [REGISTRY_PASSWORD], never the password itself'
        : 'expected exactly one secret name',
  },
);

const registrySchema = configSection({
  server: z
    .string()
    .min(1)
    .optional()
    .describe('Registry host, e.g. ghcr.io or registry.example.com:5000; Docker Hub when absent.'),
  username: z.string().min(1).optional().describe('Registry user name.'),
  password: registrySecret
    .optional()
    .describe('A one-item list naming the secret that holds the registry password.'),
}).superRefine((registry, ctx) => {
  if ((registry.username === undefined) !== (registry.password === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'set both username and password, or neither' });
  }
});

/** The schema of config/deploy.yml (Kamal's deploy.yml, in the parts Berth supports). */
export const deployConfigSchema = configSection({
  service: serviceName.describe('Service name: container name prefix and `service` label.'),
  image: matching(
    imageRepositoryPattern,
    'an image repository without tag or digest, e.g. registry.example.com/acme/demo',
  ).describe(
    'Image repository, without tag: `berth deploy` resolves the version tag to a digest and pins it.',
  ),
  fleet: serviceName
    .default(DEFAULT_FLEET)
    .describe('Fleet the release is for; agents of another fleet refuse it.'),
  servers: serversSchema,
  proxy: proxyConfigSchema,
  env: envSchema
    .prefault({})
    .describe(
      'Env for every role: a flat map of clear values, or a map with `clear` and `secret`.',
    ),
  volumes: z
    .array(z.string().min(1))
    .default([])
    .describe('Volumes, Docker syntax: name:/path or /host/path:/path[:ro].'),
  labels: z
    .record(z.string().min(1).meta({ title: 'label' }), textValue)
    .prefault({})
    .describe('Extra container labels.'),
  registry: registrySchema
    .optional()
    .describe('Registry to resolve and pull the image from; omit for public images.'),
  deploy_timeout: seconds
    .default(DEFAULT_DEPLOY_TIMEOUT_SECONDS)
    .describe('Seconds a new container has to pass its health check.'),
  drain_timeout: z
    .number()
    .nonnegative()
    .default(DEFAULT_DRAIN_TIMEOUT_SECONDS)
    .describe('Seconds in-flight requests get to finish on the old container before it stops.'),
  retain_containers: integer()
    .min(1)
    .default(DEFAULT_RETAIN_CONTAINERS)
    .describe('Stopped releases (containers and images) kept per service for rollback.'),
  error_pages_path: z
    .string()
    .min(1)
    .optional()
    .describe(
      'Directory (from the working directory) of 400/404/413/502/503/504.html pages the proxy serves instead of its own; `{{message}}` in a page becomes the maintenance message. The pages travel in the signed release. Kamal: error_pages_path.',
    ),
  release_ttl: integer()
    .min(MIN_RELEASE_TTL_SECONDS)
    .max(MAX_RELEASE_TTL_SECONDS)
    .default(DEFAULT_RELEASE_TTL_SECONDS)
    .describe(
      'Seconds a signed release stays valid: agents refuse to start applying it later. An applied release keeps running after it expires.',
    ),
  controller: configSection({
    url: z
      .url({ protocol: /^https$/ })
      .describe('HTTPS URL of the controller, e.g. https://deploy.example.com:7600.'),
    fingerprint: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/, {
        error: 'expected sha256:<64 hex digits>, as `berth controller init` printed',
      })
      .describe("SHA-256 fingerprint of the controller's certificate, pinned by the CLI."),
  })
    .optional()
    .describe('Pull mode: publish releases to this controller instead of pushing to each agent.'),
});

export type DeployConfigInput = z.input<typeof deployConfigSchema>;
export type DeployConfig = DeepReadonly<z.output<typeof deployConfigSchema>>;

/** Loads config/deploy.yml: frozen and typed, or one CONFIG_INVALID listing every problem. */
export function loadDeployConfig(path: string = DEFAULT_DEPLOY_CONFIG_PATH): Promise<DeployConfig> {
  return loadConfigFile(
    path,
    deployConfigSchema,
    'deploy config',
    'create one with `berth init`, or pass --config PATH',
  );
}
