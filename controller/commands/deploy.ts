import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { buildReleaseManifest, secretNamesOf } from '../../shared/config/release-from-config.ts';
import { readErrorPagesDir } from '../../shared/config/error-pages-dir.ts';
import { DEFAULT_SECRETS_FILE, loadSecrets } from '../../shared/config/secrets-file.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import { sealSecretsPerHost, secretNamesForHost } from '../../shared/secrets/seal-per-host.ts';
import { registrySecrets } from '../../shared/secrets/registry-credentials.ts';
import type { BerthCommand } from '../cli-context.ts';
import { loadPrivateKey } from '../keys/key-store.ts';
import { parseImageReference, pinnedImage } from '../registry/image-reference.ts';
import { resolveDigest, type RegistryCredentials } from '../registry/resolve-digest.ts';
import { openFleet } from '../fleet/open-fleet.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { publishRelease } from '../releases/publish-release.ts';

const usage = `Usage: berth deploy [--version VERSION] [--canary PERCENT] [--hosts a,b] [--config PATH] [--json]

Resolves IMAGE:VERSION to its digest, signs a release and delivers it to every host in
config/deploy.yml; streams each host's progress and exits 0 only when all are live.

Options:
  --version VERSION   image tag to deploy (default: $VERSION, else the git commit)
  --canary PERCENT    run it beside the live version for PERCENT (1-99) % of clients, sticky
                      by cookie, until \`berth canary promote\` or \`berth canary abort\`
  --hosts a,b         only these hosts
  -c, --config PATH   config file (default: config/deploy.yml)
  --timeout SECONDS   through a controller: stop following hosts after this long (default 900)
  --json              one JSON object per event, then a summary`;

export const deployCommand: BerthCommand = {
  name: 'deploy',
  summary: 'deploy a version to every host, with zero downtime',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        version: { type: 'string' },
        canary: { type: 'string' },
        hosts: { type: 'string' },
        config: { type: 'string', short: 'c' },
        timeout: { type: 'string', default: '900' },
        json: { type: 'boolean', default: false },
      },
      'berth deploy',
    );
    const canaryPercent = values.canary === undefined ? undefined : parsePercent(values.canary);
    const version = values.version ?? context.env.VERSION ?? (await gitCommit(context.cwd));
    const fleet = await openFleet(context, {
      configPath: values.config,
      hosts: splitList(values.hosts),
    });
    try {
      const { config } = fleet;
      const secretsFile = join(context.cwd, DEFAULT_SECRETS_FILE);
      const secrets = await loadSecrets(secretNamesOf(config), {
        env: context.env,
        file: secretsFile,
      });
      const repository = imageRepository(config);
      if (!values.json) context.output.out(`Resolving ${repository}:${version} … `);
      const credentials = await registryCredentials(config, context.env, secretsFile);
      const digest = await resolveDigest(parseImageReference(repository, version), credentials);
      if (!values.json) context.output.out(`${digest}\n`);
      const manifest = buildReleaseManifest(config, {
        sequence: nextSequence([await fleet.highestSequence()], new Date()),
        version,
        image: pinnedImage(repository, digest),
        secrets: {},
        issuedAt: new Date(),
        issuedBy: fleet.operator,
        ...(config.error_pages_path === undefined
          ? {}
          : { errorPages: await readErrorPagesDir(resolve(context.cwd, config.error_pages_path)) }),
      });
      if (canaryPercent !== undefined) manifest.canary = { percent: canaryPercent };
      // Registry credentials go sealed to every host, so agents can pull from a private registry.
      const everyHost = registrySecrets(credentials);
      const needKeys = [...new Set(Object.values(manifest.roles).flatMap((r) => r.hosts))].filter(
        (host) => credentials || secretNamesForHost(manifest.roles, host).length,
      );
      const sealed = await sealSecretsPerHost(
        manifest.roles,
        secrets,
        needKeys.length ? await fleet.encryptionKeys(needKeys) : {},
        everyHost,
      );
      const signingKey = await loadPrivateKey(context.env, 'release');
      await publishRelease({ ...manifest, secrets: sealed }, signingKey, fleet, context.output, {
        json: values.json,
      });
      return 0;
    } finally {
      await fleet.close();
    }
  },
};

export function imageRepository(config: DeployConfig): string {
  const server = config.registry?.server;
  return server && !config.image.startsWith(`${server}/`)
    ? `${server}/${config.image}`
    : config.image;
}

async function registryCredentials(
  config: DeployConfig,
  env: NodeJS.ProcessEnv,
  file: string,
): Promise<RegistryCredentials | undefined> {
  const username = config.registry?.username;
  const secretName = config.registry?.password?.[0];
  if (!username || !secretName) return undefined;
  const values = await loadSecrets([secretName], { env, file });
  return { username, password: values[secretName] ?? '' };
}

async function gitCommit(cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd,
    });
    return stdout.trim();
  } catch {
    throw new BerthError(
      'USAGE',
      'berth deploy: no --version given and this is not a git checkout',
      {
        hint: 'pass --version TAG (the image tag to deploy)',
      },
    );
  }
}

function parsePercent(text: string): number {
  const percent = Number(text);
  if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
    throw new BerthError('USAGE', `--canary takes a whole percent from 1 to 99, got "${text}"`, {
      hint: 'berth deploy --version v2 --canary 10',
    });
  }
  return percent;
}

export function splitList(value: string | undefined): string[] | undefined {
  return value
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

export function followTimeoutMs(seconds: string): number {
  const value = Number(seconds);
  if (!Number.isFinite(value) || value <= 0) {
    throw new BerthError('USAGE', `--timeout takes a number of seconds, got "${seconds}"`);
  }
  return value * 1000;
}
