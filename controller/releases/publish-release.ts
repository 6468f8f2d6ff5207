import { colour } from '../../shared/cli/colour.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import { BerthError } from '../../shared/errors.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { signRelease } from '../../shared/manifest/signing.ts';
import type { Fleet, HostOutcome } from '../fleet/fleet.ts';
import { successStateOf } from '../fleet/progress-printer.ts';

/**
 * Signs the release, delivers it to the fleet and follows every host to its end. Throws
 * DEPLOY_FAILED when any host did not go live, after printing each failure with its details
 * (the failing container's last log lines).
 */
export async function publishRelease(
  manifest: ReleaseManifest,
  signingKey: SigningKey,
  fleet: Fleet,
  output: CliOutput,
  options: { json: boolean },
): Promise<HostOutcome[]> {
  const jws = await signRelease(manifest, signingKey);
  const outcomes = await fleet.deliver(jws, manifest, output, options);
  const failed = outcomes.filter((o) => o.state !== successStateOf(manifest));
  if (options.json) {
    const release = {
      service: manifest.service,
      version: manifest.version,
      sequence: manifest.sequence,
    };
    output.out(`${JSON.stringify({ release, hosts: outcomes })}\n`);
  }
  if (!failed.length) {
    if (!options.json) {
      output.out(
        colour(
          'green',
          manifest.canary
            ? `${manifest.service} ${manifest.version} is the canary for ${manifest.canary.percent}% of clients on ${outcomes.length} host(s); \`berth canary promote\` or \`berth canary abort\` ends it\n`
            : `${manifest.service} ${manifest.version} is live on ${outcomes.length} host(s)\n`,
          process.stdout,
        ),
      );
    }
    return outcomes;
  }
  for (const outcome of failed) {
    const message = outcome.error
      ? `${outcome.error.code}: ${outcome.error.message}`
      : `deployment ended ${outcome.state}`;
    output.err(`${colour('red', `[${outcome.host}] ${message}`)}\n`);
    for (const line of outcome.error?.details ?? []) output.err(`  ${line}\n`);
  }
  throw new BerthError(
    'DEPLOY_FAILED',
    `${manifest.service} ${manifest.version} failed on ${failed.map((o) => o.host).join(', ')}; the previous release keeps serving there`,
  );
}
