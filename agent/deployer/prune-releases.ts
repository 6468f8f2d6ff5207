import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { DeployerDeps } from './deployer-deps.ts';
import { planRetention } from './retention.ts';

/** Removes stopped containers and images of releases older than the retained ones. */
export async function pruneReleases(deps: DeployerDeps, manifest: ReleaseManifest): Promise<void> {
  const containers = await deps.engine.listContainers(
    { 'berth.service': manifest.service },
    deps.network,
  );
  const plan = planRetention(containers, {
    liveSequence: manifest.sequence,
    retainReleases: manifest.retainReleases,
  });
  for (const container of plan.containersToRemove) await deps.engine.removeContainer(container.id);
  for (const image of plan.imagesToRemove) await deps.engine.removeImage(image);
  if (plan.containersToRemove.length) {
    deps.logger.info(
      {
        service: manifest.service,
        containers: plan.containersToRemove.map((c) => c.name),
        images: plan.imagesToRemove,
      },
      'pruned old releases',
    );
  }
}
