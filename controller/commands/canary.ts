import { parseOptions } from '../../shared/cli/parse-options.ts';
import { BerthError } from '../../shared/errors.ts';
import type { BerthCommand } from '../cli-context.ts';
import type { ReleaseView } from '../fleet/fleet.ts';
import { openFleet } from '../fleet/open-fleet.ts';
import { loadPrivateKey } from '../keys/key-store.ts';
import { decodeReleasePayload } from '../releases/decode-release.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { publishRelease } from '../releases/publish-release.ts';
import { reissueRelease } from '../releases/reissue-release.ts';
import { followTimeoutMs } from './deploy.ts';

const usage = `Usage: berth canary promote|abort [SERVICE] [--config PATH] [--timeout SECONDS] [--json]

Ends the canary started with \`berth deploy --canary PERCENT\`, with a new signed release:
  promote  every client goes to the canary version; the previous containers drain and stop
  abort    every client goes back to the live version; the canary containers drain and stop
Stopped containers are kept for \`berth rollback\`. SERVICE defaults to the one in config/deploy.yml.`;

const HISTORY_LIMIT = 200;

export const canaryCommand: BerthCommand = {
  name: 'canary',
  summary: 'promote or abort the running canary (promote|abort)',
  usage,
  async run(argv, context) {
    const { values, positionals } = parseOptions(
      argv,
      {
        config: { type: 'string', short: 'c' },
        timeout: { type: 'string', default: '900' },
        json: { type: 'boolean', default: false },
      },
      'berth canary',
      2,
    );
    const [action, serviceName] = positionals;
    if (action !== 'promote' && action !== 'abort') {
      throw new BerthError('USAGE', 'berth canary needs promote or abort', {
        hint: 'berth canary promote',
      });
    }
    const fleet = await openFleet(context, {
      configPath: values.config,
      followTimeoutMs: followTimeoutMs(values.timeout),
    });
    try {
      const service = fleet.config.service;
      if (serviceName !== undefined && serviceName !== service) {
        throw new BerthError('USAGE', `config/deploy.yml deploys ${service}, not ${serviceName}`, {
          hint: `run it in ${serviceName}'s folder, or pass --config PATH`,
        });
      }
      const { canary, live } = chooseCanaryReleases(await fleet.releases(HISTORY_LIMIT), service);
      const now = new Date();
      const stamp = {
        sequence: nextSequence([await fleet.highestSequence()], now),
        now,
        issuedBy: fleet.operator,
      };
      const manifest =
        action === 'promote'
          ? reissueRelease(decodeReleasePayload(canary.jws), stamp, {
              promotionOf: canary.sequence,
            })
          : reissueRelease(decodeReleasePayload(live.jws), stamp, {
              canaryAbortOf: canary.sequence,
            });
      if (!values.json) {
        context.output.out(
          action === 'promote'
            ? `Promoting ${service} ${canary.version} (release ${canary.sequence}); ${live.version} drains\n`
            : `Aborting ${service} ${canary.version} (release ${canary.sequence}); ${live.version} serves everyone\n`,
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

/** The running canary (the newest release some host holds in `canary`) and the live release. */
export function chooseCanaryReleases(
  releases: ReleaseView[],
  service: string,
): { canary: ReleaseView; live: ReleaseView } {
  const newestFirst = [...releases].sort((a, b) => b.sequence - a.sequence);
  const canary = newestFirst.find((r) => Object.values(r.hosts).includes('canary'));
  if (!canary) {
    throw new BerthError('CANARY_NOT_RUNNING', `no canary of ${service} is running`, {
      hint: 'start one with `berth deploy --version VERSION --canary PERCENT`; `berth status` shows what runs',
    });
  }
  const live = newestFirst.find((r) => Object.values(r.hosts).includes('live'));
  if (!live) {
    throw new BerthError('NOT_FOUND', `no release of ${service} is live beside the canary`, {
      hint: 'see `berth status` and `berth releases`',
    });
  }
  return { canary, live };
}
