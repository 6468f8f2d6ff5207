import { request } from 'undici';
import { BerthError } from '../../shared/errors.ts';
import { isLoopbackRegistry, type ImageReference } from './image-reference.ts';

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export interface RegistryCredentials {
  username: string;
  password: string;
}

/**
 * Asks the registry which digest a tag points at (HEAD on the manifest), following the bearer
 * token challenge when the registry sends one. Loopback registries are spoken to over plain
 * HTTP, as Docker does.
 */
export async function resolveDigest(
  reference: ImageReference,
  credentials?: RegistryCredentials,
): Promise<string> {
  const base = registryBaseUrl(reference.registry);
  const url = `${base}/v2/${reference.repository}/manifests/${encodeURIComponent(reference.tag)}`;
  const name = `${reference.registry}/${reference.repository}:${reference.tag}`;
  let response = await send(url, name, undefined);
  if (response.statusCode === 401) {
    const authorization = await authorize(
      response.headers['www-authenticate'],
      reference,
      credentials,
      name,
    );
    response = await send(url, name, authorization);
  }
  if (response.statusCode === 404) {
    throw new BerthError('REGISTRY_ERROR', `${name} does not exist in the registry`, {
      hint: 'push the image first, or check --version',
    });
  }
  if (response.statusCode >= 400)
    throw new BerthError(
      'REGISTRY_ERROR',
      `${name}: registry answered HTTP ${response.statusCode}`,
    );
  const digest = response.headers['docker-content-digest'];
  if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new BerthError(
      'REGISTRY_ERROR',
      `${name}: registry sent no Docker-Content-Digest header`,
    );
  }
  return digest;
}

function registryBaseUrl(registry: string): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`;
}

async function send(url: string, name: string, authorization: string | undefined) {
  try {
    const response = await request(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
      headersTimeout: 15_000,
    });
    await response.body.dump();
    return response;
  } catch (error) {
    throw new BerthError('REGISTRY_ERROR', `could not reach the registry for ${name}`, {
      cause: error,
    });
  }
}

async function authorize(
  challenge: string | string[] | undefined,
  reference: ImageReference,
  credentials: RegistryCredentials | undefined,
  name: string,
): Promise<string> {
  const header = Array.isArray(challenge) ? challenge[0] : challenge;
  const basic = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;
  if (!header?.toLowerCase().startsWith('bearer ')) {
    if (basic) return basic;
    throw new BerthError('REGISTRY_ERROR', `${name}: the registry wants credentials`, {
      hint: 'set registry.username and registry.password',
    });
  }
  const params = Object.fromEntries(
    [...header.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  if (!params.realm)
    throw new BerthError('REGISTRY_ERROR', `${name}: malformed auth challenge from the registry`);
  const tokenUrl = new URL(params.realm);
  if (params.service) tokenUrl.searchParams.set('service', params.service);
  tokenUrl.searchParams.set('scope', params.scope ?? `repository:${reference.repository}:pull`);
  const response = await request(tokenUrl, {
    headers: basic ? { authorization: basic } : {},
    headersTimeout: 15_000,
  });
  const body = (await response.body.json()) as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  if (response.statusCode >= 400 || !token) {
    throw new BerthError(
      'REGISTRY_ERROR',
      `${name}: the registry refused the credentials (HTTP ${response.statusCode})`,
    );
  }
  return `Bearer ${token}`;
}
