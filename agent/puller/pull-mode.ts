import { join } from 'node:path';
import type { AgentServiceControls, AgentStatus } from '../../shared/api/agent-api.ts';
import type { AgentConfig } from '../../shared/config/agent-config.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ControlAction, ServiceControl } from '../../shared/manifest/control-schema.ts';
import type { ReleaseManifest } from '../../shared/manifest/schema.ts';
import type { AgentStore } from '../state/agent-store.ts';
import { ControlIntake } from './control-intake.ts';
import { ControlOutbox } from './control-outbox.ts';
import { ControllerLink } from './controller-link.ts';
import { ProgressReporter } from './progress-reporter.ts';
import { systemPullClock, type PullClock } from './pull-clock.ts';
import { ReleaseIntake, type IntakeDeployer } from './release-intake.ts';
import { ReleasePoller } from './release-poller.ts';
import { ReportCursor } from './report-cursor.ts';
import { StaticReleaseSource } from './static-release-source.ts';

export const REPORT_CURSOR_FILE_NAME = 'report-cursor.json';
export const CONTROL_OUTBOX_FILE_NAME = 'control-results.json';

export interface PullModeDeps {
  config: AgentConfig;
  store: AgentStore;
  deployer: IntakeDeployer;
  signingKey: SigningKey;
  verifyRelease(jws: string): Promise<ReleaseManifest>;
  /** Signature and policy of a signed service control, against this host's trust and state. */
  verifyControl(jws: string): Promise<ServiceControl>;
  /** Maintenance, pause or resume on the service's proxied roles (what the agent API does). */
  applyControl(service: string, action: ControlAction): Promise<AgentServiceControls>;
  describeHost(): Promise<AgentStatus>;
  logger: Logger;
  clock?: PullClock;
}

export interface PullMode {
  stop(): Promise<void>;
}

/**
 * Starts the pull side of the agent when its config asks for it: the controller poll (releases
 * and signed service controls) and reports (`controller`), and/or a plain release URL (`releaseUrl`). Null in direct mode.
 */
export async function startPullMode(deps: PullModeDeps): Promise<PullMode | null> {
  const { config, store, logger } = deps;
  if (!config.controller && !config.releaseUrl) return null;
  const clock = deps.clock ?? systemPullClock;

  const link = config.controller
    ? new ControllerLink({
        url: config.controller.url,
        fingerprint: config.controller.fingerprint,
        controllerName: config.controller.name,
        hostName: config.name,
        signingKey: deps.signingKey,
        now: clock.now,
      })
    : null;
  const reporter = link
    ? new ProgressReporter({
        link,
        store,
        describeHost: deps.describeHost,
        cursor: await ReportCursor.load(join(config.dataDir, REPORT_CURSOR_FILE_NAME)),
        controlOutbox: await ControlOutbox.load(join(config.dataDir, CONTROL_OUTBOX_FILE_NAME)),
        logger,
        clock,
      })
    : null;
  const intake = new ReleaseIntake({
    verifyRelease: deps.verifyRelease,
    deployer: deps.deployer,
    highestSequences: () =>
      Object.fromEntries(store.services().map((s) => [s.service, s.highestSequence])),
    refuse: (refusal) => reporter?.addRefusal(refusal),
    started: () => reporter?.wake(),
    logger,
    clock,
  });
  const controls = reporter
    ? new ControlIntake({
        verifyControl: deps.verifyControl,
        apply: deps.applyControl,
        lastSequences: () => store.controls.lastSequences(),
        recordApplied: (control) =>
          store.controls.recordApplied(control.service, control.sequence, control.action),
        report: (result) => reporter.addControlResult(result),
        logger,
      })
    : null;
  const poller = link
    ? new ReleasePoller({ link, intake, ...(controls ? { controls } : {}), logger, clock })
    : null;
  const urlSource = config.releaseUrl
    ? new StaticReleaseSource({
        url: config.releaseUrl,
        intervalMs: config.releaseUrlIntervalMs,
        intake,
        logger,
        clock,
      })
    : null;

  reporter?.start();
  poller?.start();
  urlSource?.start();
  logger.info(
    { controller: config.controller?.url, releaseUrl: config.releaseUrl },
    'pull mode: fetching signed releases',
  );

  return {
    async stop() {
      await Promise.all([poller?.stop(), urlSource?.stop()]);
      await intake.stop();
      await reporter?.stop();
      await link?.close();
    },
  };
}
