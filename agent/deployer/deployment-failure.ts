import { BerthError, isBerthError } from '../../shared/errors.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { Deployment } from '../state/deployment.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import type { Candidate } from './deployment-steps.ts';
import { rolesOnHost, routeRequestFor, targetAddress } from './host-plan.ts';
import { decodeStoredManifest } from './stored-manifest.ts';
import { openHostSecrets } from './host-secrets.ts';

const LOG_LINES_ON_FAILURE = 20;

/**
 * Ends a deployment that failed: keeps the candidates' last log lines for the report, points
 * routes back at the live release if the switch had begun, stops the candidates.
 */
export async function failDeployment(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
  candidates: Candidate[],
  error: unknown,
  switched: boolean,
): Promise<void> {
  const { store, engine, logger } = deps;
  const berthError = isBerthError(error)
    ? error
    : new BerthError('INTERNAL', 'deployment failed unexpectedly', { cause: error });
  if (!isBerthError(error))
    logger.error({ err: error, deployment: id }, 'deployment failed with an unexpected error');
  const details: string[] = [];
  for (const candidate of candidates) {
    const lines = await engine
      .containerLogs(candidate.containerId, LOG_LINES_ON_FAILURE)
      .catch(() => []);
    if (lines.length)
      details.push(`--- last ${lines.length} log lines of ${candidate.containerName}`, ...lines);
  }
  if (switched) await restorePreviousRoutes(deps, id, manifest);
  for (const candidate of candidates)
    await engine.stopContainer(candidate.containerId, 1).catch(() => undefined);
  store.endDeployment(id, 'failed', {
    code: berthError.code,
    message: berthError.message,
    details: [...berthError.details, ...details],
  });
  logger.warn(
    { deployment: id, service: manifest.service, code: berthError.code },
    'deployment failed; previous release keeps serving',
  );
}

/** Points each route back at the live release's container (after a failure during the switch). */
async function restorePreviousRoutes(
  deps: DeployerDeps,
  id: number,
  manifest: ReleaseManifest,
): Promise<void> {
  const previousSequence = deps.store.deployment(id)?.previousSequence;
  const previous = previousSequence ? deps.store.release(manifest.service, previousSequence) : null;
  if (!previous) return;
  const containers = await deps.engine.listContainers(
    { 'berth.service': manifest.service, 'berth.sequence': String(previous.sequence) },
    deps.network,
  );
  const previousManifest = decodeStoredManifest(previous.jws);
  const secrets = await openHostSecrets(deps, previousManifest).catch(() => ({}));
  for (const hostRole of rolesOnHost(previousManifest, deps.hostName)) {
    const settings = hostRole.role.proxy;
    const container = containers.find(
      (c) => c.labels['berth.role'] === hostRole.name && c.ipAddress,
    );
    if (!settings || !container?.ipAddress) continue;
    await deps.proxy
      .switchService(
        hostRole.routeName,
        routeRequestFor(
          settings,
          targetAddress(container.ipAddress, settings.appPort),
          secrets,
          previousManifest.errorPages,
        ),
      )
      .catch(() => undefined);
  }
}

/** After too many interruptions: stop the candidates and record the rollback; the reconciler restores the live release. */
export async function rollBackInterrupted(
  deps: DeployerDeps,
  deployment: Deployment,
  attempts: number,
): Promise<void> {
  const candidates = await deps.engine.listContainers(
    { 'berth.service': deployment.service, 'berth.sequence': String(deployment.sequence) },
    deps.network,
  );
  for (const container of candidates)
    await deps.engine.stopContainer(container.id, 1).catch(() => undefined);
  deps.store.endDeployment(deployment.id, 'rolled_back', {
    code: 'DEPLOY_INTERRUPTED',
    message: `interrupted ${attempts} times; rolled back, the previous release keeps serving`,
    details: [],
  });
}
