import { BerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ContainerSpec } from './container-engine.ts';

/** Label keys Berth puts on every container it runs; the reconciler finds its containers by them. */
export const berthLabels = {
  managed: 'berth.managed',
  fleet: 'berth.fleet',
  service: 'berth.service',
  role: 'berth.role',
  version: 'berth.version',
  sequence: 'berth.sequence',
  /** The agent that runs it: agents sharing one engine (tests, staging beside prod) never touch each other's containers. */
  agent: 'berth.agent',
} as const;

export const CONTAINER_LOG_MAX_SIZE = '10m';
export const MAX_VERSION_IN_NAME_CHARS = 40;

/** The release a container belongs to, read back from its labels. */
export interface ReleaseLabels {
  service: string;
  role: string;
  version: string;
  sequence: number;
}

export interface ContainerSpecInput {
  manifest: ReleaseManifest;
  role: string;
  host: string;
  /** Secret env values opened for this host; only the names the role asks for are used. */
  secretEnv: Record<string, string>;
  network: string;
}

/** What to ask Docker for to run one role of a release on one host. Pure. */
export function containerSpecFor(input: ContainerSpecInput): ContainerSpec {
  const { manifest, host, network } = input;
  const role = manifest.roles[input.role];
  if (role === undefined) {
    throw new BerthError(
      'MANIFEST_INVALID',
      `Release ${manifest.sequence} of ${manifest.service} has no role "${input.role}".`,
    );
  }
  const name = containerNameFor(
    manifest.service,
    input.role,
    manifest.version,
    manifest.sequence,
    host,
  );
  return {
    name,
    image: manifest.image,
    ...(role.cmd === undefined ? {} : { cmd: [...role.cmd] }),
    env: {
      ...manifest.env,
      ...role.env,
      ...pickSecretEnv(role.secretEnv, input.secretEnv),
      BERTH_SERVICE: manifest.service,
      BERTH_ROLE: input.role,
      BERTH_VERSION: manifest.version,
      BERTH_HOST: host,
      BERTH_CONTAINER_NAME: name,
    },
    // Berth's own labels go last so a manifest's extra labels can never disguise a container.
    labels: {
      ...manifest.labels,
      ...labelsForService(manifest.fleet, manifest.service),
      [berthLabels.role]: input.role,
      [berthLabels.version]: manifest.version,
      [berthLabels.sequence]: String(manifest.sequence),
      [berthLabels.agent]: host,
    },
    network,
    volumes: [...manifest.volumes],
    stopTimeoutSeconds: Math.ceil(role.stopTimeoutMs / 1000),
    // The agent's reconciler owns restarts; a Docker restart policy would race it.
    restartPolicy: 'no',
    logMaxSize: CONTAINER_LOG_MAX_SIZE,
  };
}

/**
 * `<service>-<role>-<version>-<agent>-<sequence>`, the version cut down to characters Docker
 * accepts. The agent's name keeps names unique when agents share an engine.
 */
export function containerNameFor(
  service: string,
  role: string,
  version: string,
  sequence: number,
  agent: string,
): string {
  const safeVersion = version.replace(/[^a-zA-Z0-9_.-]/g, '-').slice(0, MAX_VERSION_IN_NAME_CHARS);
  return `${service}-${role}-${safeVersion}-${agent}-${sequence}`;
}

/** Labels every container of a service carries, for list filters. */
export function labelsForService(fleet: string, service: string): Record<string, string> {
  return {
    [berthLabels.managed]: 'true',
    [berthLabels.fleet]: fleet,
    [berthLabels.service]: service,
  };
}

/** The release a container belongs to, or null when it is not a Berth release container. */
export function parseReleaseLabels(labels: Record<string, string>): ReleaseLabels | null {
  const service = labels[berthLabels.service];
  const role = labels[berthLabels.role];
  const version = labels[berthLabels.version];
  const sequenceText = labels[berthLabels.sequence] ?? '';
  const sequence = Number(sequenceText);
  const isRelease =
    labels[berthLabels.managed] === 'true' &&
    service !== undefined &&
    role !== undefined &&
    version !== undefined &&
    /^[1-9][0-9]*$/.test(sequenceText) &&
    Number.isSafeInteger(sequence);
  return isRelease ? { service, role, version, sequence } : null;
}

/** Only the names the role asks for; a name with no opened value is left out, not invented. */
function pickSecretEnv(names: string[], secretEnv: Record<string, string>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) {
    const value = secretEnv[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
