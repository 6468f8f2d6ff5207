import { BerthError } from '../../shared/errors.ts';

export interface ImageReference {
  /** Registry host[:port] as Docker writes it (docker.io for Docker Hub). */
  registry: string;
  /** Repository path inside the registry, e.g. library/nginx or acme/demo. */
  repository: string;
  tag: string;
}

/** Splits `registry/repo:tag` the way Docker does: the first part is a registry only if it has a dot, a colon, or is localhost. */
export function parseImageReference(image: string, tag: string): ImageReference {
  if (image.includes('@'))
    throw new BerthError(
      'CONFIG_INVALID',
      `image: give the repository without a digest, got "${image}"`,
    );
  const parts = image.split('/');
  const first = parts[0] ?? '';
  const hasRegistry =
    parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let repository = hasRegistry ? parts.slice(1).join('/') : image;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    throw new BerthError('CONFIG_INVALID', `image: "${image}" is not a valid repository name`);
  }
  if (!/^[\w][\w.-]{0,127}$/.test(tag))
    throw new BerthError('USAGE', `version "${tag}" is not a valid image tag`);
  return { registry, repository, tag };
}

/** The name Docker pulls by: `registry/repository` (Docker Hub's short form kept as the user wrote it). */
export function pinnedImage(image: string, digest: string): string {
  return `${image}@${digest}`;
}

export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
}
