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

export const AGENT_CONFIG_FILE_NAME = 'agent.yml';
export const DEFAULT_DATA_DIR = '/var/lib/berth';
export const DEFAULT_API_HOST = '0.0.0.0';
export const DEFAULT_API_PORT = 7443;
export const DEFAULT_PROXY_HTTP_HOST = '0.0.0.0';
export const DEFAULT_PROXY_HTTP_PORT = 80;
export const DEFAULT_PROXY_HTTPS_PORT = 443;
export const DEFAULT_DOCKER_SOCKET_PATH = '/var/run/docker.sock';
export const DEFAULT_DOCKER_NETWORK = 'berth';
export const DEFAULT_RECONCILE_INTERVAL_MS = 2_000;

/** /var/lib/berth for root; otherwise $XDG_DATA_HOME/berth (~/.local/share/berth). */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.getuid?.() === 0) return DEFAULT_DATA_DIR;
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'berth');
}

/** The agent's config lives in its data dir: `<dataDir>/agent.yml`. */
export function agentConfigPath(dataDir: string): string {
  return join(dataDir, AGENT_CONFIG_FILE_NAME);
}

const port = integer().min(0).max(65535);
const listenHost = z.string().min(1);

const agentConfigFields = configSection({
  name: matching(hostNamePattern, 'an agent name (letters, digits, ".", "_" or "-")').describe(
    "This agent's name: the host name releases and config/deploy.yml `servers` refer to.",
  ),
  fleet: matching(serviceNamePattern, 'lowercase letters, digits, "_" or "-"')
    .default('default')
    .describe('Fleet this agent belongs to; it refuses releases for any other.'),
  dataDir: absolutePath
    .default(DEFAULT_DATA_DIR)
    .describe('Directory for state, keys and the proxy socket.'),
  api: configSection({
    host: listenHost.default(DEFAULT_API_HOST).describe('Address the HTTPS API listens on.'),
    port: port.default(DEFAULT_API_PORT).describe('Port of the HTTPS API (0 picks a free one).'),
  })
    .prefault({})
    .describe('The agent API (releases, status, logs, rollback).'),
  proxy: configSection({
    httpHost: listenHost
      .default(DEFAULT_PROXY_HTTP_HOST)
      .describe('Address the proxy serves app traffic on.'),
    httpPort: port
      .default(DEFAULT_PROXY_HTTP_PORT)
      .describe('Port the proxy serves app traffic on.'),
    httpsPort: port
      .default(DEFAULT_PROXY_HTTPS_PORT)
      .describe('Port the proxy serves TLS traffic on (HTTP/2 and HTTP/1.1); 0 turns HTTPS off.'),
    acme: configSection({
      directoryUrl: z
        .url({ protocol: /^https$/ })
        .optional()
        .describe(
          "ACME directory for automatic certificates (`proxy.ssl: true`); Let's Encrypt when absent.",
        ),
      email: z.string().optional().describe('Contact e-mail for the ACME account.'),
      caFilePath: absolutePath
        .optional()
        .describe('Extra CA to trust for the ACME server (e.g. a private CA).'),
    })
      .prefault({})
      .describe('How the proxy obtains certificates for routes with `ssl: true`.'),
    accessLog: z
      .boolean()
      .default(true)
      .describe(
        "One JSON line per request on the proxy's stdout (the journal under systemd), as kamal-proxy logs every request; false turns it off.",
      ),
    workers: z
      .number()
      .int()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'Processes serving traffic on the same sockets; when absent, one per CPU but one (at least 1), leaving a core to the apps (docs/proxy.md).',
      ),
    socketPath: derivedPath(
      'Admin socket the agent drives the proxy over.',
      '<dataDir>/proxy.sock',
    ),
    statePath: derivedPath(
      'File the proxy keeps its routes in across restarts.',
      '<dataDir>/proxy-state.json',
    ),
  })
    .prefault({})
    .describe('The proxy process that serves app traffic.'),
  docker: configSection({
    socketPath: absolutePath.default(DEFAULT_DOCKER_SOCKET_PATH).describe('Docker engine socket.'),
    network: z
      .string()
      .min(1)
      .default(DEFAULT_DOCKER_NETWORK)
      .describe('Docker network app containers join.'),
  })
    .prefault({})
    .describe('The Docker engine the agent runs containers on.'),
  trust: configSection({
    releaseKeys: z
      .array(trustedKey)
      .prefault([])
      .describe('Public keys whose signed releases this agent applies.'),
    operatorKeys: z
      .array(trustedKey)
      .prefault([])
      .describe('Public keys whose API tokens this agent accepts.'),
  })
    .prefault({})
    .describe(
      'Trusted Ed25519 public keys, as `ed25519:<base64url>` or JWK strings. Rotate by adding the new key, then removing the old.',
    ),
  reconcileIntervalMs: integer()
    .min(100)
    .default(DEFAULT_RECONCILE_INTERVAL_MS)
    .describe('Milliseconds between reconcile passes.'),
  tls: configSection({
    certPath: derivedPath('PEM certificate of the API.', '<dataDir>/tls/cert.pem'),
    keyPath: derivedPath('PEM private key of the API.', '<dataDir>/tls/key.pem'),
  })
    .prefault({})
    .describe(
      'TLS certificate and key of the API (self-signed at init; operators pin its fingerprint).',
    ),
  controller: configSection({
    url: z.url({ protocol: /^https$/ }).describe('Controller URL the agent polls for releases.'),
    fingerprint: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .describe("Pinned SHA-256 fingerprint of the controller's certificate."),
    name: z.string().min(1).describe('Controller name: the audience of the agent tokens.'),
  })
    .optional()
    .describe('Pull mode: the controller this agent joined (written by `berth-agent join`).'),
  releaseUrl: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'Pull mode without a controller: a plain HTTPS URL (S3, CDN) serving the latest signed releases as JSON `{"releases": [jws, …]}`.',
    ),
  releaseUrlIntervalMs: integer()
    .min(1000)
    .default(30_000)
    .describe('Milliseconds between fetches of releaseUrl.'),
  identity: configSection({
    signingKeyPath: derivedPath(
      'Ed25519 identity key (JWK, mode 0600).',
      '<dataDir>/keys/identity-signing.jwk',
    ),
    encryptionKeyPath: derivedPath(
      'X25519 key secrets are sealed to (JWK, mode 0600).',
      '<dataDir>/keys/identity-encryption.jwk',
    ),
  })
    .prefault({})
    .describe(
      "The agent's own key files: Ed25519 identity and X25519 key that secrets are sealed to.",
    ),
});

/** The schema of the agent's config file (YAML; JSON is valid YAML too). */
export const agentConfigSchema = agentConfigFields.transform((config) => {
  const inDataDir = (...parts: string[]): string => join(config.dataDir, ...parts);
  return {
    ...config,
    proxy: {
      ...config.proxy,
      socketPath: config.proxy.socketPath ?? inDataDir('proxy.sock'),
      statePath: config.proxy.statePath ?? inDataDir('proxy-state.json'),
    },
    tls: {
      certPath: config.tls.certPath ?? inDataDir('tls', 'cert.pem'),
      keyPath: config.tls.keyPath ?? inDataDir('tls', 'key.pem'),
    },
    identity: {
      signingKeyPath: config.identity.signingKeyPath ?? inDataDir('keys', 'identity-signing.jwk'),
      encryptionKeyPath:
        config.identity.encryptionKeyPath ?? inDataDir('keys', 'identity-encryption.jwk'),
    },
  };
});

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = DeepReadonly<z.output<typeof agentConfigSchema>>;

/** Loads the agent config: frozen, paths filled in from dataDir, or one CONFIG_INVALID. */
export function loadAgentConfig(path: string): Promise<AgentConfig> {
  return loadConfigFile(
    path,
    agentConfigSchema,
    'agent config',
    'set the agent up first: `berth-agent init --name NAME` (or pass --data-dir DIR)',
  );
}

/** Validates and writes the agent config as YAML (atomically), returning what was written. */
export async function writeAgentConfig(
  path: string,
  input: DeepReadonly<AgentConfigInput>,
): Promise<AgentConfig> {
  const config = validateConfig(agentConfigSchema, input, path);
  const text = `# berth-agent config; keys are described in docs/reference/agent-config.md\n${stringify(config, { lineWidth: 0 })}`;
  await writeFileAtomically(path, text, { mode: 0o644 });
  return config;
}
