import type { ControlHistoryEntry } from '../../shared/api/controller-api.ts';
import type { DeployConfig } from '../../shared/config/deploy-config.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { BerthError, isBerthError } from '../../shared/errors.ts';
import { describeAction, type ControlAction } from '../../shared/manifest/control-schema.ts';
import { signControl } from '../../shared/manifest/control-signing.ts';
import type { CliContext } from '../cli-context.ts';
import { ControllerClient } from '../client/controller-client.ts';
import { loadPrivateKey, operatorName } from '../keys/key-store.ts';
import { nextSequence } from '../releases/next-sequence.ts';
import { buildControl } from './build-control.ts';
import { controlOutcomes } from './control-outcomes.ts';
import type { HostControls } from './host-controls.ts';

/** How long berth waits for online targets to report on a control, by default. */
export const DEFAULT_CONTROL_WAIT_MS = 30_000;
const FOLLOW_WAIT_MS = 10_000;

/**
 * Pull mode: signs the action with the release key (the controller cannot forge one), uploads
 * it, and follows the targets' reports until every online one applied or refused it, or the
 * wait ends. Offline targets are not waited for: they fetch it when they reconnect, until it
 * expires.
 */
export async function controlThroughController(
  context: CliContext,
  config: DeployConfig,
  hosts: readonly string[],
  action: ControlAction,
  options: { json: boolean; waitMs: number },
): Promise<{
  control: { service: string; sequence: number; expiresAt: string };
  results: HostControls[];
}> {
  if (!config.controller) throw new BerthError('INTERNAL', 'no controller in the config');
  const operator = operatorName(context.env);
  const operatorKey = await loadPrivateKey(context.env, 'operator');
  const releaseKey = await loadPrivateKey(context.env, 'release');
  const client = new ControllerClient(config.controller, { ...operatorKey, subject: operator });
  const print = (text: string): void => {
    if (!options.json) context.output.err(text);
  };
  try {
    const { controls } = await client.controls(config.service, 1);
    const now = new Date();
    const control = buildControl({
      config,
      hosts,
      action,
      sequence: nextSequence(
        controls.map((c) => c.sequence),
        now,
      ),
      issuedBy: operator,
      now,
    });
    const published = await client.publishControl(await signControl(control, releaseKey));
    const what = describeAction(action);
    const status = await client.status();
    const offline = new Set(
      published.targets.filter((host) => !status.hosts.find((h) => h.name === host)?.online),
    );
    for (const host of offline) {
      print(
        `[${host}] offline; it will apply ${what} when it reconnects, if before ${published.expiresAt}\n`,
      );
    }
    const startedAtMs = Date.now();
    const entry = await follow(client, published, offline, options.waitMs, (host, result) =>
      print(`[${host}] ${result}\n`),
    );
    return {
      control: {
        service: published.service,
        sequence: published.sequence,
        expiresAt: published.expiresAt,
      },
      results: controlOutcomes(entry, offline, Date.now() - startedAtMs),
    };
  } finally {
    await client.close();
  }
}

async function follow(
  client: ControllerClient,
  published: { service: string; sequence: number; targets: string[] },
  offline: ReadonlySet<string>,
  waitMs: number,
  announce: (host: string, result: string) => void,
): Promise<ControlHistoryEntry> {
  const deadline = Date.now() + waitMs;
  const announced = new Set<string>();
  const online = published.targets.filter((host) => !offline.has(host));
  let settled = 0;
  for (;;) {
    // Nothing online to wait for: one look at what is there, no hold.
    const remainingMs = online.length === 0 ? 0 : Math.max(0, deadline - Date.now());
    let entry: ControlHistoryEntry;
    try {
      entry = await client.control(
        published.service,
        published.sequence,
        settled,
        Math.min(FOLLOW_WAIT_MS, remainingMs),
      );
    } catch (error) {
      // A controller restart is ridden out, as `berth deploy` does, until the wait ends.
      if (!isBerthError(error) || error.code !== 'HOST_UNREACHABLE' || remainingMs === 0) {
        throw error;
      }
      await sleep(1_000);
      continue;
    }
    settled = entry.settled;
    for (const [host, result] of Object.entries(entry.hosts)) {
      if (announced.has(host) || (result.state !== 'applied' && result.state !== 'refused'))
        continue;
      announced.add(host);
      announce(
        host,
        result.state === 'applied'
          ? 'applied'
          : `refused: ${result.error?.code ?? ''} ${result.error?.message ?? ''}`.trimEnd(),
      );
    }
    const waiting = online.filter((host) => entry.hosts[host]?.state === 'pending');
    if (waiting.length === 0 || remainingMs === 0) return entry;
  }
}
