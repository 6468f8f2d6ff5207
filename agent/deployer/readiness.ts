import { BerthError } from '../../shared/errors.ts';
import type { ContainerEngine } from '../docker/container-engine.ts';

/** A role without a proxy counts as ready once running this long (Kamal's readiness_delay), or healthy at once. */
export const READINESS_DELAY_MS = 3_000;

/**
 * Waits until a non-proxied container is ready: Docker reports it healthy (when the image
 * declares a HEALTHCHECK) or it has stayed running for READINESS_DELAY_MS.
 */
export async function waitUntilReady(
  engine: ContainerEngine,
  containerId: string,
  options: {
    network: string;
    timeoutMs: number;
    sleep: (ms: number) => Promise<void>;
    now: () => Date;
  },
): Promise<void> {
  const deadline = options.now().getTime() + options.timeoutMs;
  let runningSince: number | null = null;
  let lastSeen = 'not inspected';
  while (options.now().getTime() < deadline) {
    const info = await engine.inspectContainer(containerId, options.network);
    if (!info)
      throw new BerthError(
        'CONTAINER_FAILED',
        `container ${containerId.slice(0, 12)} disappeared while starting`,
      );
    lastSeen = info.health ? `${info.state}, ${info.health}` : info.state;
    if (info.state === 'exited' || info.state === 'dead') {
      throw new BerthError(
        'CONTAINER_FAILED',
        `container ${info.name} exited with code ${info.exitCode ?? '?'} while starting`,
      );
    }
    if (info.state === 'running') {
      if (info.health === 'healthy') return;
      if (info.health === null) {
        runningSince ??= options.now().getTime();
        if (options.now().getTime() - runningSince >= READINESS_DELAY_MS) return;
      }
    } else {
      runningSince = null;
    }
    await options.sleep(250);
  }
  throw new BerthError(
    'HEALTH_CHECK_FAILED',
    `container ${containerId.slice(0, 12)} was not ready within ${options.timeoutMs} ms (last seen: ${lastSeen})`,
  );
}
