/**
 * Registry credentials travel sealed to each host inside the release's secrets, under names
 * that are not valid env var names, so they can never reach a container's environment.
 */
export const REGISTRY_USERNAME_SECRET = 'berth:registry:username';
export const REGISTRY_PASSWORD_SECRET = 'berth:registry:password';

export function registrySecrets(
  credentials: { username: string; password: string } | undefined,
): Record<string, string> {
  return credentials
    ? {
        [REGISTRY_USERNAME_SECRET]: credentials.username,
        [REGISTRY_PASSWORD_SECRET]: credentials.password,
      }
    : {};
}

export function registryCredentialsFrom(
  secrets: Record<string, string>,
): { username: string; password: string } | null {
  const username = secrets[REGISTRY_USERNAME_SECRET];
  const password = secrets[REGISTRY_PASSWORD_SECRET];
  return username !== undefined && password !== undefined ? { username, password } : null;
}
