import type { TestProject } from 'vitest/node';
import { buildDemoImages, removeDemoImageRefs, type DemoImage } from './helpers/demo-image.ts';
import { ensureDockerd } from './helpers/docker-daemon.ts';
import { startRegistry } from './helpers/registry.ts';

/** The demo app versions every engine test can deploy; `bad` fails its health check from the start. */
const demoImageRequests = [
  { version: 'v1' },
  { version: 'v2' },
  { version: 'v3' },
  { version: 'bad', failHealth: true },
] as const;

export type DemoVersion = (typeof demoImageRequests)[number]['version'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT` of the run's registry. */
    registry: string;
    demoImages: Record<DemoVersion, DemoImage>;
  }
}

/** Global setup of the `docker` project: engine up, one registry, the demo images pushed to it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAtMs = Date.now();
  await ensureDockerd();
  const registry = await startRegistry();
  try {
    const demoImages = await buildDemoImages(registry.address, demoImageRequests);
    project.provide('registry', registry.address);
    project.provide('demoImages', demoImages);
    process.stderr.write(
      `[berth] docker test setup ready in ${Date.now() - startedAtMs} ms (registry ${registry.address})\n`,
    );
    return async () => {
      await removeDemoImageRefs(Object.values(demoImages));
      await registry.stop();
    };
  } catch (error) {
    await registry.stop();
    throw error;
  }
}
