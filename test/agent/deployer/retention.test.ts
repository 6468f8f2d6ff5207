import { describe, expect, it } from 'vitest';
import { planRetention } from '../../../agent/deployer/retention.ts';
import type { ContainerInfo } from '../../../agent/docker/container-engine.ts';

function container(
  sequence: number,
  image: string,
  state: ContainerInfo['state'] = 'exited',
  role = 'web',
): ContainerInfo {
  return {
    id: `id-${role}-${sequence}`,
    name: `demo-${role}-${sequence}`,
    image,
    state,
    health: null,
    ipAddress: null,
    labels: { 'berth.sequence': String(sequence), 'berth.role': role },
    createdAt: new Date(sequence),
    exitCode: 0,
  };
}

describe('planRetention', () => {
  it('keeps the newest releases and removes older stopped containers and images no kept container uses', () => {
    const containers = [
      container(1, 'demo@sha256:a'),
      container(2, 'demo@sha256:b'),
      container(3, 'demo@sha256:a'),
      container(4, 'demo@sha256:c'),
      container(5, 'demo@sha256:d', 'running'),
    ];
    const plan = planRetention(containers, { liveSequence: 5, retainReleases: 3 });
    expect(plan.containersToRemove.map((c) => c.name)).toEqual(['demo-web-1', 'demo-web-2']);
    expect(plan.imagesToRemove).toEqual(['demo@sha256:b']);
  });

  it('always keeps the live release and running containers, even past the limit', () => {
    const containers = [
      container(7, 'x@sha256:7', 'running'),
      container(8, 'x@sha256:8'),
      container(9, 'x@sha256:9'),
    ];
    const plan = planRetention(containers, { liveSequence: 7, retainReleases: 1 });
    expect(plan.containersToRemove.map((c) => c.name)).toEqual(['demo-web-8']);
    expect(plan.imagesToRemove).toEqual(['x@sha256:8']);
  });

  it('counts releases, not containers: every role of a kept release stays', () => {
    const containers = [
      container(1, 'i@sha256:1', 'exited', 'web'),
      container(1, 'i@sha256:1', 'exited', 'jobs'),
      container(2, 'i@sha256:2', 'running'),
    ];
    expect(
      planRetention(containers, { liveSequence: 2, retainReleases: 2 }).containersToRemove,
    ).toEqual([]);
  });
});
