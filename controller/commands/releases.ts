import { parseOptions } from '../../shared/cli/parse-options.ts';
import type { BerthCommand } from '../cli-context.ts';
import type { ReleaseView } from '../fleet/fleet.ts';
import { decodeReleasePayload } from '../releases/decode-release.ts';
import { openFleet } from '../fleet/open-fleet.ts';
import { ago, renderTable } from '../output/table.ts';

const usage = `Usage: berth releases [--limit N] [--config PATH] [--json]

The service's release history, newest first: sequence, version, image digest, who
published it, and its outcome on each host. --json includes each signed release (jws), which
is safe to publish: secrets in it are sealed per host.`;

export const releasesCommand: BerthCommand = {
  name: 'releases',
  summary: 'release history with per-host outcome',
  usage,
  async run(argv, context) {
    const { values } = parseOptions(
      argv,
      {
        limit: { type: 'string', default: '20' },
        config: { type: 'string', short: 'c' },
        json: { type: 'boolean', default: false },
      },
      'berth releases',
    );
    const fleet = await openFleet(context, { configPath: values.config });
    try {
      const releases = await fleet.releases(Number(values.limit) || 20);
      if (values.json) {
        context.output.out(
          `${JSON.stringify({ service: fleet.config.service, releases }, null, 2)}\n`,
        );
        return 0;
      }
      const now = new Date();
      const rows = releases.map((r) => [
        String(r.sequence),
        `${r.version}${releaseKind(r)}`,
        r.image.split('@')[1]?.slice(0, 19) ?? r.image,
        r.issuedBy,
        ago(r.issuedAt, now),
        Object.entries(r.hosts)
          .map(([h, s]) => `${h}:${s}`)
          .join(' '),
      ]);
      context.output.out(
        renderTable(['SEQUENCE', 'VERSION', 'IMAGE', 'BY', 'ISSUED', 'HOSTS'], rows),
      );
      return 0;
    } finally {
      await fleet.close();
    }
  },
};

/** What a release did besides deploying its version, as a suffix for the VERSION column. */
function releaseKind(release: ReleaseView): string {
  if (release.rollbackOf) return ' (rollback)';
  try {
    const { canary, promotionOf, canaryAbortOf } = decodeReleasePayload(release.jws);
    if (canary) return ` (canary ${canary.percent}%)`;
    if (promotionOf) return ' (canary promoted)';
    if (canaryAbortOf) return ' (canary aborted)';
  } catch {
    // An unreadable payload only loses the suffix.
  }
  return '';
}
