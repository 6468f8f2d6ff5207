import { writeFileAtomically } from '../fs/atomic-file.ts';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { hostNamePattern, serviceNamePattern } from '../manifest/schema.ts';
import { absolutePath, derivedPath, trustedKey } from './config-fields.ts';
import { loadConfigFile, validateConfig } from './config-file.ts';
import { configSection, integer, matching } from './config-section.ts';
import type { DeepReadonly } from './deep-freeze.ts';

export const CONTROLLER_CONFIG_FILE_NAME = 'controller.yml';
export const DEFAULT_CONTROLLER_NAME = 'controller';
export const DEFAULT_CONTROLLER_DATA_DIR = '/var/lib/berth-controller';
export const DEFAULT_CONTROLLER_API_HOST = '0.0.0.0';
export const DEFAULT_CONTROLLER_API_PORT = 7600;
export const DEFAULT_STALE_AFTER_MS = 90_000;
export const DEFAULT_LONG_POLL_MAX_MS = 30_000;
export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 3600;

/**
 * $BERTH_CONTROLLER_DATA_DIR; else /var/lib/berth-controller for root, otherwise
 * $XDG_DATA_HOME/berth-controller (~/.local/share/berth-controller).
 */
export function defaultControllerDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BERTH_CONTROLLER_DATA_DIR) return env.BERTH_CONTROLLER_DATA_DIR;
  if (process.getuid?.() === 0) return DEFAULT_CONTROLLER_DATA_DIR;
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'berth-controller');
}

/** The controller's config lives in its data dir: `<dataDir>/controller.yml`. */
export function controllerConfigPath(dataDir: string): string {
  return join(dataDir, CONTROLLER_CONFIG_FILE_NAME);
}

const controllerConfigFields = configSection({
  name: matching(hostNamePattern, 'a name (letters, digits, ".", "_" or "-")')
    .default(DEFAULT_CONTROLLER_NAME)
    .describe('Controller name: the audience of operator and agent tokens.'),
  fleet: matching(serviceNamePattern, 'lowercase letters, digits, "_" or "-"')
    .default('default')
    .describe('Fleet this controller serves; it refuses releases for any other.'),
  dataDir: absolutePath
    .default(DEFAULT_CONTROLLER_DATA_DIR)
    .describe('Directory for the database, TLS certificate and this config.'),
  api: configSection({
    host: z
      .string()
      .min(1)
      .default(DEFAULT_CONTROLLER_API_HOST)
      .describe('Address the HTTPS API and dashboard listen on.'),
    port: integer()
      .min(0)
      .max(65535)
      .default(DEFAULT_CONTROLLER_API_PORT)
      .describe('Port of the HTTPS API (0 picks a free one).'),
    publicUrl: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe('URL operators and agents reach the controller at (printed by init).'),
  })
    .prefault({})
    .describe('The HTTPS API agents poll and operators call, and the dashboard.'),
  tls: configSection({
    certPath: derivedPath('PEM certificate of the API.', '<dataDir>/tls/cert.pem'),
    keyPath: derivedPath('PEM private key of the API.', '<dataDir>/tls/key.pem'),
  })
    .prefault({})
    .describe('TLS certificate and key (self-signed at init; clients pin its fingerprint).'),
  trust: configSection({
    releaseKeys: z
      .array(trustedKey)
      .prefault([])
      .describe('Public keys whose signed releases the controller accepts and hands to agents.'),
    operatorKeys: z
      .array(trustedKey)
      .prefault([])
      .describe('Public keys whose API tokens (and dashboard logins) the controller accepts.'),
  })
    .prefault({})
    .describe(
      'Trusted Ed25519 public keys, as `ed25519:<base64url>` or JWK strings. Rotate by adding the new key, then removing the old.',
    ),
  staleAfterMs: integer()
    .min(1000)
    .default(DEFAULT_STALE_AFTER_MS)
    .describe('Milliseconds without a poll or report after which a host shows as stale.'),
  longPollMaxMs: integer()
    .min(0)
    .max(600_000)
    .default(DEFAULT_LONG_POLL_MAX_MS)
    .describe('Longest time a poll (agent or progress) is held before an empty answer.'),
  joinTokenTtlSeconds: integer()
    .min(60)
    .default(DEFAULT_JOIN_TOKEN_TTL_SECONDS)
    .describe('Seconds a join token from `berth hosts add` stays usable.'),
});

/** The schema of the controller's config file (YAML; JSON is valid YAML too). */
export const controllerConfigSchema = controllerConfigFields.transform((config) => ({
  ...config,
  tls: {
    certPath: config.tls.certPath ?? join(config.dataDir, 'tls', 'cert.pem'),
    keyPath: config.tls.keyPath ?? join(config.dataDir, 'tls', 'key.pem'),
  },
}));

export type ControllerConfigInput = z.input<typeof controllerConfigSchema>;
export type ControllerConfig = DeepReadonly<z.output<typeof controllerConfigSchema>>;

/** Loads the controller config: frozen, TLS paths filled in from dataDir, or one CONFIG_INVALID. */
export function loadControllerConfig(path: string): Promise<ControllerConfig> {
  return loadConfigFile(
    path,
    controllerConfigSchema,
    'controller config',
    'set the controller up first: `berth controller init --trust-release-key K --trust-operator-key K` (or pass --data-dir DIR)',
  );
}

/** Validates and writes the controller config as YAML (atomically), returning what was written. */
export async function writeControllerConfig(
  path: string,
  input: DeepReadonly<ControllerConfigInput>,
): Promise<ControllerConfig> {
  const config = validateConfig(controllerConfigSchema, input, path);
  const text = `# berth controller config; keys are described in docs/reference/controller-config.md\n${stringify(config, { lineWidth: 0 })}`;
  await writeFileAtomically(path, text, { mode: 0o644 });
  return config;
}
