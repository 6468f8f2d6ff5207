import type { HostProgress } from '../../shared/api/controller-api.ts';
import type { CliOutput } from '../../shared/cli/run-cli.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, isBerthError } from '../../shared/errors.ts';
import { parsePublicKey, type PublicKey } from '../../shared/keys/index.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { ControllerClient } from '../client/controller-client.ts';
import { pinHostKeys } from '../hosts/host-key-pins.ts';
import type { Fleet, HostOutcome, HostView, ReleaseView } from './fleet.ts';
import { progressPrinter, SETTLED_STATES, successStateOf } from './progress-printer.ts';

const PROGRESS_WAIT_MS = 10_000;
/** Consecutive failed progress polls tolerated (about a minute): long enough for a controller restart. */
const MAX_PROGRESS_FAILURES = 15;

function outcomeOf(
  host: string,
  progress: HostProgress | undefined,
  offline: boolean,
): HostOutcome {
  const state = progress?.state ?? 'pending';
  if (SETTLED_STATES.includes(state)) return { host, state, error: progress?.error ?? null };
  const message = offline
    ? `${host} is offline; it will apply the release when it reconnects`
    : `${host} had not finished (${state}) when berth stopped waiting; it carries on by itself`;
  return { host, state, error: { code: 'DEPLOY_INCOMPLETE', message, details: [] } };
}

/** Pull mode: releases go to the controller; agents fetch them; progress comes back through it. */
export class ControllerFleet implements Fleet {
  readonly mode = 'controller';
  readonly config: DeployConfig;
  readonly operator: string;
  readonly #client: ControllerClient;
  readonly #cwd: string;
  readonly #deadlineMs: number;

  constructor(
    config: DeployConfig,
    operator: string,
    client: ControllerClient,
    options: { cwd: string; timeoutMs: number },
  ) {
    this.config = config;
    this.operator = operator;
    this.#client = client;
    this.#cwd = options.cwd;
    this.#deadlineMs = options.timeoutMs;
  }

  async highestSequence(): Promise<number> {
    const { releases } = await this.#client.releases(this.config.service, 1);
    return releases[0]?.sequence ?? 0;
  }

  async encryptionKeys(hosts: string[]): Promise<Record<string, PublicKey>> {
    const { hosts: records } = await this.#client.hosts();
    const printable: Record<string, string> = {};
    for (const host of hosts) {
      const record = records.find((r) => r.name === host);
      if (!record?.encryptionPublicKey || record.state !== 'active') {
        throw new BerthError('HOST_UNKNOWN', `host "${host}" has not joined the controller`, {
          hint: `run \`berth hosts add ${host}\` and \`berth-agent join TOKEN\` on the server`,
        });
      }
      printable[host] = record.encryptionPublicKey;
    }
    await pinHostKeys(this.#cwd, printable);
    return Object.fromEntries(
      Object.entries(printable).map(([host, key]) => [host, parsePublicKey(key, 'X25519')]),
    );
  }

  /**
   * Follows until every online target is done or any one ends otherwise. Offline targets are
   * not waited for: they apply the release when they next poll, and are reported as pending.
   * Controller hiccups (a restart) are ridden out by retrying the progress poll.
   */
  async deliver(
    jws: string,
    manifest: ReleaseManifest,
    output: CliOutput,
    options: { json: boolean },
  ): Promise<HostOutcome[]> {
    const published = await this.#client.publish(jws);
    const fleet = await this.#client.status();
    const offline = new Set(
      published.targets.filter((host) => !fleet.hosts.find((h) => h.name === host)?.online),
    );
    const online = published.targets.filter((host) => !offline.has(host));
    for (const host of offline) {
      output.err(`[${host}] offline; it will apply ${manifest.version} when it reconnects\n`);
    }
    const print = progressPrinter(published.targets, output, options);
    const success = successStateOf(manifest);
    const last: Record<string, HostProgress> = {};
    const deadline = Date.now() + this.#deadlineMs;
    let cursor = 0;
    let failures = 0;
    while (online.length && Date.now() < deadline) {
      let progress;
      try {
        progress = await this.#client.progress(
          manifest.service,
          manifest.sequence,
          cursor,
          PROGRESS_WAIT_MS,
        );
        failures = 0;
      } catch (error) {
        if (
          !isBerthError(error) ||
          error.code !== 'HOST_UNREACHABLE' ||
          ++failures > MAX_PROGRESS_FAILURES
        )
          throw error;
        await sleep(Math.min(1000 * failures, 5000));
        continue;
      }
      cursor = progress.cursor;
      for (const [host, hostProgress] of Object.entries(progress.hosts)) {
        for (const event of hostProgress.events) print(host, event);
        last[host] = hostProgress;
      }
      const states = online.map((host) => last[host]?.state ?? 'pending');
      if (
        states.every((s) => s === success) ||
        states.some((s) => SETTLED_STATES.includes(s) && s !== success)
      )
        break;
    }
    return published.targets.map((host) => outcomeOf(host, last[host], offline.has(host)));
  }

  async status(): Promise<HostView[]> {
    const status = await this.#client.status();
    const configured = new Set(Object.values(this.config.servers).flatMap((r) => r.hosts));
    return status.hosts
      .filter((h) => configured.has(h.name))
      .map((h) => ({
        host: h.name,
        reachable: h.online,
        online: h.online,
        fresh: h.fresh,
        lastSeenAt: h.lastSeenAt,
        error: h.state === 'revoked' ? 'revoked' : null,
        roles: h.services.filter((s) => s.service === this.config.service),
      }));
  }

  async releases(limit: number): Promise<ReleaseView[]> {
    const [{ releases }, hosts] = await Promise.all([
      this.#client.releases(this.config.service, limit),
      this.status(),
    ]);
    const liveSequence = new Map(hosts.map((h) => [h.host, h.roles[0]?.sequence ?? null]));
    return releases.map((r) => ({
      sequence: r.sequence,
      version: r.version,
      image: r.image,
      issuedBy: r.issuedBy,
      issuedAt: r.publishedAt,
      rollbackOf: r.rollbackOf,
      hosts: Object.fromEntries(
        Object.entries(r.hosts).map(([host, state]) => [
          host,
          liveSequence.get(host) === r.sequence && state === 'done' ? 'live' : state,
        ]),
      ),
      jws: r.jws,
    }));
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
