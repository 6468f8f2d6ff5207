import { BerthError } from '../../shared/errors.ts';
import type { DeployerDeps } from './deployer-deps.ts';

const PROGRESS_EVENT_INTERVAL_MS = 1_000;
/** A stalled registry must not hold the service's deploy lock forever. */
export const PULL_TIMEOUT_MS = 15 * 60_000;

/** Pulls the release image by digest unless present, recording throttled progress as events. */
export async function pullImage(
  deps: DeployerDeps,
  deploymentId: number,
  image: string,
  credentials: { username: string; password: string } | null = null,
): Promise<void> {
  const { engine, store } = deps;
  if (await engine.hasImage(image)) {
    store.recordEvent(deploymentId, 'pulling', 'image already present; skipping pull');
    return;
  }
  const layers = new Map<string, { current: number; total: number }>();
  let lastEventAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BerthError(
            'IMAGE_PULL_FAILED',
            `pulling ${image} took longer than ${PULL_TIMEOUT_MS / 60_000} minutes`,
          ),
        ),
      PULL_TIMEOUT_MS,
    );
  });
  const auth = credentials ? { ...credentials, serveraddress: registryOf(image) } : undefined;
  const pulling = engine.pullImage(image, {
    auth,
    onProgress: (progress) => {
      if (progress.layer && progress.totalBytes) {
        layers.set(progress.layer, {
          current: progress.currentBytes ?? 0,
          total: progress.totalBytes,
        });
      }
      const now = deps.now().getTime();
      if (now - lastEventAt < PROGRESS_EVENT_INTERVAL_MS) return;
      lastEventAt = now;
      let currentBytes = 0;
      let totalBytes = 0;
      for (const layer of layers.values()) {
        currentBytes += layer.current;
        totalBytes += layer.total;
      }
      store.recordEvent(
        deploymentId,
        'pulling',
        `pulled ${formatMegabytes(currentBytes)} of ${formatMegabytes(totalBytes)}`,
        {
          data: { currentBytes, totalBytes, layers: layers.size },
        },
      );
    },
  });
  try {
    await Promise.race([pulling, timeout]);
  } finally {
    clearTimeout(timer);
  }
  store.recordEvent(deploymentId, 'pulling', 'image pulled');
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** The registry part of a pinned image reference, as Docker reads it (docker.io when absent). */
export function registryOf(image: string): string {
  const [first, ...rest] = image.split('/');
  return rest.length &&
    first &&
    (first.includes('.') || first.includes(':') || first === 'localhost')
    ? first
    : 'docker.io';
}
