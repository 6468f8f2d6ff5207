import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import { releaseManifestSchema } from '../../shared/manifest/schema.ts';
import type { BerthCommand } from '../cli-context.ts';
import type { AgentReleaseRecord } from '../../shared/api/agent-api.ts';
import { loadPrivateKey } from '../keys/key-store.ts';
import { onEveryHost, openFleetSession } from '../releases/fleet-session.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { publishRelease } from '../releases/publish-release.ts';
import { decodeReleasePayload } from '../releases/decode-release.ts';
import { splitList } from './deploy.ts';

const usage = `Usage: berth rollback [VERSION] [--hosts a,b] [--config PATH] [--json]

Returns to the previous release (or the newest release of VERSION) by publishing a new
signed release that points at the old image digest. The hosts still hold the image, so
nothing is pulled.`;

export const rollbackCommand: BerthCommand = {
  name: 'rollback',
  summary: 'go back to the previous (or a named) release',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        hosts: { type: 'string' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth rollback',
      1,
    );
    const session = await openFleetSession(context, {
      configPath: values.config,
      hosts: splitList(values.hosts),
    });
    try {
      const service = session.config.service;
      const histories = await onEveryHost(session.clients, (client) =>
        client.releases(service, 200),
      );
      const failed = histories.find((h) => h.error);
      if (failed) throw failed.error;
      const releases = histories.flatMap((h) => h.value?.releases ?? []);
      const target = chooseRollbackTarget(releases, positionals[0]);
      const previous = decodeReleasePayload(target.jws);
      const now = new Date();
      const lifetimeMs = Date.parse(previous.expiresAt) - Date.parse(previous.issuedAt);
      const manifest = releaseManifestSchema.parse({
        ...previous,
        sequence: nextSequence(
          releases.map((r) => r.sequence),
          now,
        ),
        issuedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + lifetimeMs).toISOString(),
        issuedBy: session.operator,
        rollbackOf: target.sequence,
      });
      if (!values.json)
        context.output.out(
          `Rolling ${service} back to ${target.version} (release ${target.sequence}, ${target.image})\n`,
        );
      await publishRelease(
        manifest,
        await loadPrivateKey(context.env, 'release'),
        session.clients,
        context.output,
        { json: values.json },
      );
      return 0;
    } finally {
      await session.close();
    }
  },
};

/**
 * The release to return to: the newest one of VERSION that once went live, or, without a
 * version, the newest release that went live before the current live one.
 */
export function chooseRollbackTarget(
  releases: AgentReleaseRecord[],
  version: string | undefined,
): AgentReleaseRecord {
  const wentLive = releases
    .filter((r) => r.state === 'done')
    .sort((a, b) => b.sequence - a.sequence);
  if (version) {
    const match = wentLive.find((r) => r.version === version);
    if (!match)
      throw new BerthError('NOT_FOUND', `no release of version ${version} ever went live`, {
        hint: 'see `berth releases`',
      });
    return match;
  }
  const live = releases.filter((r) => r.live).sort((a, b) => b.sequence - a.sequence)[0];
  const candidate = wentLive.find((r) =>
    live ? r.sequence < live.sequence && r.version !== live.version : true,
  );
  if (!candidate)
    throw new BerthError('NOT_FOUND', 'there is no earlier release to roll back to', {
      hint: 'see `berth releases`',
    });
  return candidate;
}
