/**
 * The one error type users see. Every code is stable, documented in docs/errors.md
 * (generated from `errorCatalog`), and carries the HTTP status the APIs answer with.
 * Anything thrown that is not a BerthError is a bug.
 */
export const errorCatalog = {
  USAGE: {
    status: 400,
    meaning: 'The command was called wrongly.',
    fix: 'Run the command with --help.',
  },
  CONFIG_NOT_FOUND: {
    status: 400,
    meaning: 'A configuration file is missing.',
    fix: 'Run `berth init`, or pass --config PATH.',
  },
  CONFIG_INVALID: {
    status: 400,
    meaning: 'A configuration file does not match its schema; the message names the key path.',
    fix: 'Fix the named key; see docs/reference/deploy-config.md.',
  },
  KEY_NOT_FOUND: {
    status: 400,
    meaning: 'A signing or operator key is missing.',
    fix: 'Run `berth keys generate`, or set BERTH_RELEASE_KEY / BERTH_OPERATOR_KEY.',
  },
  KEY_INVALID: {
    status: 400,
    meaning: 'A key file or key string could not be read as an Ed25519/X25519 JWK.',
    fix: 'Regenerate it with `berth keys generate`.',
  },
  MANIFEST_INVALID: {
    status: 400,
    meaning: 'The release manifest payload does not match the manifest schema.',
    fix: 'Publish the release again with a current `berth`.',
  },
  SIGNATURE_INVALID: {
    status: 403,
    meaning: 'The release signature does not verify (tampered payload or wrong key).',
    fix: 'Sign the release with a trusted release key.',
  },
  SIGNATURE_ALG_REJECTED: {
    status: 403,
    meaning: 'The release or token uses an algorithm other than EdDSA (e.g. none, HS256).',
    fix: 'Sign with `berth`, which uses EdDSA only.',
  },
  SIGNING_KEY_UNKNOWN: {
    status: 403,
    meaning: 'The release was signed by a key this agent does not trust.',
    fix: 'Add the public key to the agent: `berth-agent trust --release-key JWK`.',
  },
  RELEASE_EXPIRED: {
    status: 403,
    meaning: 'The release is past its expiresAt (freeze protection).',
    fix: 'Publish a fresh release.',
  },
  RELEASE_REPLAYED: {
    status: 409,
    meaning: 'The release sequence is not greater than the last one applied for this service.',
    fix: 'Publish a new release; `berth` picks a higher sequence.',
  },
  FLEET_MISMATCH: {
    status: 403,
    meaning: 'The release is for another fleet.',
    fix: 'Check `fleet` in config/deploy.yml against the agent.',
  },
  HOST_NOT_TARGETED: {
    status: 403,
    meaning: 'The release does not name this host as a target.',
    fix: 'Add the host under `servers` in config/deploy.yml.',
  },
  IMAGE_NOT_PINNED: {
    status: 400,
    meaning: 'The release image is not pinned by digest (repo@sha256:…).',
    fix: 'Publish with `berth deploy`, which resolves the digest.',
  },
  SECRET_UNSEALABLE: {
    status: 400,
    meaning: 'A sealed secret could not be opened by this host.',
    fix: 'Publish again so secrets are sealed to the host key.',
  },
  AUTH_REQUIRED: {
    status: 401,
    meaning: 'The API call carries no bearer token.',
    fix: 'Call through `berth`, which signs a short-lived token.',
  },
  AUTH_INVALID: {
    status: 401,
    meaning: 'The API token is invalid, expired, or for another agent.',
    fix: 'Check the operator key is trusted by the agent and clocks agree.',
  },
  NOT_FOUND: {
    status: 404,
    meaning: 'The named service, release or deployment does not exist.',
    fix: 'Check the name with `berth status` or `berth releases`.',
  },
  DEPLOY_IN_PROGRESS: {
    status: 409,
    meaning: 'Another deployment of this service is running on the host.',
    fix: 'Wait for it to finish (`berth status`), then retry.',
  },
  DEPLOY_FAILED: {
    status: 500,
    meaning: 'The release did not go live on every target host.',
    fix: 'Read the per-host lines above it; the previous release keeps serving on failed hosts.',
  },
  DEPLOY_INCOMPLETE: {
    status: 500,
    meaning:
      'A target host has not finished the release (offline, or still working when berth stopped waiting).',
    fix: 'It applies the release when it reconnects; watch with `berth status --watch`.',
  },
  DEPLOY_INTERRUPTED: {
    status: 500,
    meaning: 'The agent was interrupted mid-deploy too many times; the deployment was rolled back.',
    fix: 'Check the agent log for why it restarted, then deploy again.',
  },
  CANARY_NOT_RUNNING: {
    status: 409,
    meaning:
      'No canary is parked for the service, or the promotion/abort names another release than the parked canary.',
    fix: 'Check `berth status`; start a canary with `berth deploy --canary PERCENT`.',
  },
  CANARY_WITHOUT_LIVE: {
    status: 409,
    meaning:
      'A canary release reached a host where no release of the service is live to split with.',
    fix: 'Deploy the first version without --canary.',
  },
  CANARY_ABORTED: {
    status: 409,
    meaning:
      'The canary was stopped by `berth canary abort` or by a newer release; the live version serves everyone.',
    fix: 'Nothing to fix; deploy again when the new version is ready.',
  },
  IMAGE_PULL_FAILED: {
    status: 502,
    meaning: 'The image could not be pulled by digest.',
    fix: 'Check the registry is reachable from the host and credentials are set.',
  },
  CONTAINER_FAILED: {
    status: 500,
    meaning: 'The new container could not be created or exited while starting.',
    fix: 'Read the container log lines in the message.',
  },
  HEALTH_CHECK_FAILED: {
    status: 500,
    meaning: 'The new container did not pass its health check within the deploy timeout.',
    fix: 'Read the log lines; check `proxy.healthcheck.path` and `app_port`.',
  },
  DOCKER_UNAVAILABLE: {
    status: 503,
    meaning: 'The Docker engine does not answer on its socket.',
    fix: 'Start it (`systemctl start docker`) and check docker.socketPath in the agent config.',
  },
  PROXY_UNAVAILABLE: {
    status: 503,
    meaning: 'The agent cannot reach its proxy over the admin socket.',
    fix: 'Start it: `berth-agent proxy` (or `systemctl start berth-proxy`).',
  },
  PROXY_ROUTE_CONFLICT: {
    status: 409,
    meaning: 'Another service already routes this host and path.',
    fix: 'Use a distinct `proxy.host` or `proxy.path_prefix`.',
  },
  REGISTRY_ERROR: {
    status: 502,
    meaning: 'The registry did not resolve the image tag to a digest.',
    fix: 'Check the image name and tag exist, and registry credentials.',
  },
  HOST_UNKNOWN: {
    status: 400,
    meaning: 'A host named in config/deploy.yml is not registered.',
    fix: 'Register it: `berth hosts add NAME --url URL --fingerprint FP`.',
  },
  HOST_EXISTS: {
    status: 409,
    meaning: 'The host has already joined the controller.',
    fix: 'Remove it first (`berth hosts remove NAME`) to issue a new join token.',
  },
  HOST_REVOKED: {
    status: 403,
    meaning: 'The host was removed from the controller; its polls and reports are refused.',
    fix: 'Add it again (`berth hosts add NAME`) and re-join with the new token.',
  },
  JOIN_TOKEN_INVALID: {
    status: 401,
    meaning: 'The join token does not match a host waiting to join.',
    fix: 'Copy the whole token `berth hosts add NAME` printed, for this host name.',
  },
  JOIN_TOKEN_EXPIRED: {
    status: 401,
    meaning: 'The join token is past its expiry.',
    fix: 'Issue a new one: `berth hosts add NAME`.',
  },
  JOIN_TOKEN_USED: {
    status: 403,
    meaning: 'The join token was used already; each works once.',
    fix: 'Issue a new one after removing the host: `berth hosts remove NAME`, `berth hosts add NAME`.',
  },
  HOST_KEY_CHANGED: {
    status: 409,
    meaning:
      "A host's encryption key differs from the one first seen (kept in .berth/host-keys.json).",
    fix: 'If the host re-joined, delete its line from .berth/host-keys.json; otherwise suspect the controller.',
  },
  HOST_UNREACHABLE: {
    status: 502,
    meaning: 'The agent API did not answer.',
    fix: 'Check the agent runs (`systemctl status berth-agent`) and the URL.',
  },
  TLS_PINNING_FAILED: {
    status: 502,
    meaning: "The agent's TLS certificate does not match the pinned fingerprint.",
    fix: 'Re-register the host with the fingerprint `berth-agent init` printed.',
  },
  CONTROL_INVALID: {
    status: 400,
    meaning:
      'A service control (maintenance, pause, resume) does not match its schema, or expires before it was issued.',
    fix: 'Issue it again with a current `berth`.',
  },
  CONTROL_EXPIRED: {
    status: 403,
    meaning: 'The service control is past its expiresAt: a stale control must not apply late.',
    fix: 'Issue the command again (`berth maintenance`, `berth pause`, `berth resume`).',
  },
  CONTROL_REPLAYED: {
    status: 409,
    meaning:
      'The service control sequence is not greater than the last one applied (or published) for this service.',
    fix: 'Issue the command again; `berth` picks a higher sequence.',
  },
  CONTROL_INCOMPLETE: {
    status: 500,
    meaning:
      'A target host did not apply the service control (offline, refused it, or still silent when berth stopped waiting).',
    fix: 'Read the per-host lines; an offline host applies it when it reconnects, if before it expires.',
  },
  INTERNAL: {
    status: 500,
    meaning: 'An unexpected error; the details are in the server log.',
    fix: 'Report it with the log lines around it.',
  },
} as const satisfies Record<string, { status: number; meaning: string; fix: string }>;

export type ErrorCode = keyof typeof errorCatalog;

export class BerthError extends Error {
  override readonly name = 'BerthError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  /** Extra lines a user needs to see, e.g. the failing container's last log lines. */
  readonly details: string[];

  constructor(
    code: ErrorCode,
    message: string,
    options: { hint?: string; details?: string[]; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? [];
  }

  get status(): number {
    return errorCatalog[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string; details?: string[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

export function isBerthError(value: unknown): value is BerthError {
  return value instanceof BerthError;
}
