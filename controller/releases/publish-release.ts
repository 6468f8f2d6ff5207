import { colour } from '../../shared/cli/colour.ts';
import { BerthError, isBerthError } from '../../shared/errors.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import { signRelease } from '../../shared/manifest/signing.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import type { AgentClient } from '../client/agent-client.ts';
import type { AgentDeployment } from '../../shared/api/agent-api.ts';
import { followDeployments, type HostOutcome } from './follow-deployments.ts';

/**
 * Signs the release, delivers it to every host (direct mode) and follows each deployment to
 * its end. Resolves with the per-host outcomes; throws when any host failed, after printing
 * every host's failure with the container's log lines.
 */
export async function publishRelease(
  manifest: ReleaseManifest,
  signingKey: SigningKey,
  clients: AgentClient[],
  output: CliOutput,
  options: { json: boolean },
): Promise<HostOutcome[]> {
  const jws = await signRelease(manifest, signingKey);
  const started: { client: AgentClient; deployment: AgentDeployment }[] = [];
  const outcomes: HostOutcome[] = [];
  await Promise.all(
    clients.map(async (client) => {
      try {
        const { deployment } = await client.publish(jws);
        started.push({ client, deployment });
      } catch (error) {
        outcomes.push({ host: client.name, deployment: null, error });
      }
    }),
  );
  outcomes.push(...(await followDeployments(started, output, options)));
  const failed = outcomes.filter((o) => o.error || o.deployment?.state !== 'done');
  if (options.json) {
    output.out(
      `${JSON.stringify({ release: { service: manifest.service, version: manifest.version, sequence: manifest.sequence }, hosts: outcomes.map(summary) })}\n`,
    );
  }
  if (!failed.length) {
    if (!options.json)
      output.out(
        colour(
          'green',
          `${manifest.service} ${manifest.version} is live on ${outcomes.length} host(s)\n`,
        ),
      );
    return outcomes;
  }
  for (const outcome of failed) {
    const reason = describeFailure(outcome);
    output.err(`${colour('red', `[${outcome.host}] ${reason.message}`)}\n`);
    for (const line of reason.details) output.err(`  ${line}\n`);
  }
  throw new BerthError(
    'DEPLOY_FAILED',
    `${manifest.service} ${manifest.version} failed on ${failed.map((o) => o.host).join(', ')}; the previous release keeps serving there`,
  );
}

function describeFailure(outcome: HostOutcome): { message: string; details: string[] } {
  if (outcome.error) {
    return isBerthError(outcome.error)
      ? {
          message: `${outcome.error.code}: ${outcome.error.message}`,
          details: [...outcome.error.details, ...(outcome.error.hint ? [outcome.error.hint] : [])],
        }
      : { message: String(outcome.error), details: [] };
  }
  const error = outcome.deployment?.error;
  return {
    message: error
      ? `${error.code}: ${error.message}`
      : `deployment ended ${outcome.deployment?.state ?? 'unknown'}`,
    details: error?.details ?? [],
  };
}

function summary(outcome: HostOutcome): Record<string, unknown> {
  return {
    host: outcome.host,
    state: outcome.error ? 'error' : (outcome.deployment?.state ?? 'unknown'),
    deployment: outcome.deployment?.id ?? null,
    error: outcome.error
      ? isBerthError(outcome.error)
        ? outcome.error.toJSON()
        : String(outcome.error)
      : (outcome.deployment?.error ?? null),
  };
}
