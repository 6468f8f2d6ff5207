import type { ContainerInfo } from '../docker/container-engine.ts';

export interface RetentionPlan {
  containersToRemove: ContainerInfo[];
  imagesToRemove: string[];
}

/**
 * Keeps the containers of the newest `retainReleases` sequences (the live one always) and
 * marks older ones, and images no kept container uses, for removal. Pure.
 */
export function planRetention(
  containers: ContainerInfo[],
  options: { liveSequence: number; retainReleases: number },
): RetentionPlan {
  const sequenceOf = (c: ContainerInfo): number => Number(c.labels['berth.sequence'] ?? 0);
  const sequences = [...new Set(containers.map(sequenceOf))].sort((a, b) => b - a);
  const kept = new Set(sequences.slice(0, options.retainReleases));
  kept.add(options.liveSequence);
  const containersToRemove = containers.filter(
    (c) => !kept.has(sequenceOf(c)) && c.state !== 'running',
  );
  const keptImages = new Set(
    containers.filter((c) => !containersToRemove.includes(c)).map((c) => c.image),
  );
  const imagesToRemove = [...new Set(containersToRemove.map((c) => c.image))].filter(
    (image) => !keptImages.has(image),
  );
  return { containersToRemove, imagesToRemove };
}
