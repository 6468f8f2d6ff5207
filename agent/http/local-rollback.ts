import { BerthError } from '../../shared/errors.ts';
import type { AgentStore } from '../state/agent-store.ts';
import type { StoredRelease } from '../state/deployment.ts';

const HISTORY_LIMIT = 200;

/**
 * The stored release a local rollback returns to: the newest release of `version` that once
 * went live here, or, without a version, the newest that went live before the live one (of
 * another version). Mirrors `berth rollback`, from this host's store alone.
 */
export function chooseLocalRollbackTarget(
  store: Pick<AgentStore, 'service' | 'releases' | 'deploymentsFor'>,
  service: string,
  version?: string,
): StoredRelease {
  const record = store.service(service);
  if (!record) throw new BerthError('NOT_FOUND', `no service ${service} on this host`);
  const wentLive = store
    .releases(service, HISTORY_LIMIT)
    .filter((r) => store.deploymentsFor(service, r.sequence).some((d) => d.state === 'done'));
  const live = wentLive.find((r) => r.sequence === record.liveSequence) ?? null;
  const target = version
    ? wentLive.find((r) => r.version === version)
    : wentLive.find((r) =>
        live ? r.sequence < live.sequence && r.version !== live.version : true,
      );
  if (!target) {
    throw new BerthError(
      'NOT_FOUND',
      version
        ? `no release of ${service} at version ${version} ever went live on this host`
        : `there is no earlier release of ${service} to roll back to on this host`,
      { hint: 'see the releases this host holds: `berth releases`' },
    );
  }
  if (target.sequence === record.liveSequence) {
    throw new BerthError(
      'USAGE',
      `${service} ${target.version} (release ${target.sequence}) is already live`,
    );
  }
  return target;
}
