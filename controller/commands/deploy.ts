import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { releaseManifestSchema, MANIFEST_SCHEMA_VERSION } from '../../shared/manifest/schema.ts';
import { buildRoleManifests } from '../../shared/config/release-from-config.ts';
import { loadSecrets } from '../../shared/config/secrets-file.ts';
import { sealSecrets } from '../../shared/secrets/seal.ts';
import { parsePublicKey } from '../../shared/keys/index.ts';
import type { BerthCommand } from '../cli-context.ts';
import { loadPrivateKey } from '../keys/key-store.ts';
import { parseImageReference, pinnedImage } from '../registry/image-reference.ts';
import { resolveDigest } from '../registry/resolve-digest.ts';
import { onEveryHost, openFleetSession, type FleetSession } from '../releases/fleet-session.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { publishRelease } from '../releases/publish-release.ts';
import { join } from 'node:path';

const usage = `Usage: berth deploy [--version VERSION] [--hosts a,b] [--config PATH] [--json]

Resolves IMAGE:VERSION to its digest, signs a release and delivers it to every host in
config/deploy.yml; streams each host's progress and exits 0 only when all are live.

Options:
  --version VERSION   image tag to deploy (default: $VERSION, else the git commit)
  --hosts a,b         only these hosts
  -c, --config PATH   config file (default: config/deploy.yml)
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
        hosts: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth deploy',
    );
    const version = values.version ?? context.env.VERSION ?? (await gitCommit(context.cwd));
    const session = await openFleetSession(context, { configPath: values.config, hosts: splitList(values.hosts) });
    try {
      const { config } = session;
      const reference = parseImageReference(config.image, version);
      const credentials = config.registry?.username
        ? {
            username: config.registry.username,
            password: (await loadSecrets(config.registry.password, { env: context.env, file: join(context.cwd, '.berth/secrets') }))[
              config.registry.password[0] ?? ''
            ] ?? '',
          }
        : undefined;
      if (!values.json) context.output.out(`Resolving ${config.image}:${version} … `);
      const digest = await resolveDigest(reference, credentials);
      if (!values.json) context.output.out(`${digest}\n`);
      const manifest = releaseManifestSchema.parse({
        schema: MANIFEST_SCHEMA_VERSION,
        fleet: config.fleet,
        service: config.service,
        sequence: nextSequence(await highestSequences(session), new Date()),
        version,
        issuedAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + config.release_ttl * 1000).toISOString(),
        issuedBy: session.operator,
        image: pinnedImage(config.image, digest),
        ...buildRoleManifests(config),
        secrets: await sealedSecrets(session, context.env, context.cwd),
      });
      await publishRelease(manifest, await loadPrivateKey(context.env, 'release'), session.clients, context.output, {
        json: values.json,
      });
      return 0;
    } finally {
      await session.close();
    }
  },
};

/** The highest sequence each host has accepted for this service; every host must answer. */
export async function highestSequences(session: FleetSession): Promise<number[]> {
  const results = await onEveryHost(session.clients, (client) => client.status());
  const failed = results.find((r) => r.error);
  if (failed) throw failed.error;
  return results.map((r) => r.value?.sequences[session.config.service]?.highest ?? 0);
}

/** Secret env values, sealed separately to each host's encryption key (fetched over pinned TLS). */
async function sealedSecrets(session: FleetSession, env: NodeJS.ProcessEnv, cwd: string): Promise<Record<string, string>> {
  const names = session.config.env.secret;
  if (!names.length) return {};
  const values = await loadSecrets(names, { env, file: join(cwd, '.berth/secrets') });
  const sealed: Record<string, string> = {};
  for (const client of session.clients) {
    const identity = await client.identity();
    sealed[client.name] = await sealSecrets(values, parsePublicKey(identity.encryptionPublicKey));
  }
  return sealed;
}

async function gitCommit(cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('git', ['rev-parse', '--short=12', 'HEAD'], { cwd });
    return stdout.trim();
  } catch {
    throw new BerthError('USAGE', 'berth deploy: no --version given and this is not a git checkout', {
      hint: 'pass --version TAG (the image tag to deploy)',
    });
  }
}

export function splitList(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}
