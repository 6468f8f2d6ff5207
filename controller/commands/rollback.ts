import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import type { ReleaseView } from '../fleet/fleet.ts';
import { loadPrivateKey } from '../keys/key-store.ts';
import { openFleet } from '../fleet/open-fleet.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { publishRelease } from '../releases/publish-release.ts';
import { decodeReleasePayload } from '../releases/decode-release.ts';
import { reissueRelease } from '../releases/reissue-release.ts';
import { followTimeoutMs, splitList } from './deploy.ts';

const usage = `Usage: berth rollback [VERSION] [--hosts a,b] [--config PATH] [--timeout SECONDS] [--json]

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
        timeout: { type: 'string', default: '900' },
        json: { type: 'boolean', default: false },
      },
      'berth rollback',
      1,
    );
    const fleet = await openFleet(context, {
      configPath: values.config,
      hosts: splitList(values.hosts),
      followTimeoutMs: followTimeoutMs(values.timeout),
    });
    try {
      const service = fleet.config.service;
      const releases = await fleet.releases(200);
      const target = chooseRollbackTarget(releases, positionals[0]);
      const now = new Date();
      const manifest = reissueRelease(
        decodeReleasePayload(target.jws),
        {
          sequence: nextSequence([await fleet.highestSequence()], now),
          now,
          issuedBy: fleet.operator,
        },
        { rollbackOf: target.sequence },
      );
      if (!values.json) {
        context.output.out(
          `Rolling ${service} back to ${target.version} (release ${target.sequence}, ${target.image})\n`,
        );
      }
      const signingKey = await loadPrivateKey(context.env, 'release');
      await publishRelease(manifest, signingKey, fleet, context.output, { json: values.json });
      return 0;
    } finally {
      await fleet.close();
    }
  },
};

/**
 * The release to return to: the newest one of VERSION that once went live, or, without a
 * version, the newest release that went live before the current live one.
 */
export function chooseRollbackTarget(
  releases: ReleaseView[],
  version: string | undefined,
): ReleaseView {
  const states = (r: ReleaseView): string[] => Object.values(r.hosts);
  const wentLive = releases
    .filter((r) => states(r).some((s) => s === 'done' || s === 'live'))
    .sort((a, b) => b.sequence - a.sequence);
  if (version) {
    const match = wentLive.find((r) => r.version === version);
    if (!match) {
      throw new BerthError('NOT_FOUND', `no release of version ${version} ever went live`, {
        hint: 'see `berth releases`',
      });
    }
    return match;
  }
  const live = wentLive.find((r) => states(r).includes('live'));
  const candidate = wentLive.find((r) =>
    live ? r.sequence < live.sequence && r.version !== live.version : true,
  );
  if (!candidate) {
    throw new BerthError('NOT_FOUND', 'there is no earlier release to roll back to', {
      hint: 'see `berth releases`',
    });
  }
  return candidate;
}
