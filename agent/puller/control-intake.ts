import type { AgentServiceControls } from '../../shared/api/agent-api.ts';
import type { ControlReport } from '../../shared/api/controller-api.ts';
import { isBerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import {
  actionOf,
  type ControlAction,
  type ServiceControl,
} from '../../shared/manifest/control-schema.ts';
import { type UnverifiedClaim, unverifiedClaimOf } from './unverified-claim.ts';

export interface ControlIntakeDeps {
  /** Signature, fleet, target, expiry and sequence against this host's trust and state. */
  verifyControl(jws: string): Promise<ServiceControl>;
  /** The same change the agent API's maintenance, pause and resume routes make. */
  apply(service: string, action: ControlAction): Promise<AgentServiceControls>;
  /** Per service, the last control sequence applied (from the store). */
  lastSequences(): Record<string, number>;
  /** Persists the control as applied, so it (and anything older) is a replay from now on. */
  recordApplied(control: ServiceControl): void;
  /** Hands the result to the reporter; resolves once it is kept (it survives a restart). */
  report(result: ControlReport): Promise<void> | void;
  logger: Logger;
}

/**
 * Where signed service controls (maintenance, pause, resume) from the controller enter the
 * agent. The controller is a courier, not an authority: each control is verified against the
 * release keys this agent trusts before it touches the proxy, and one that fails any check
 * changes nothing here; it is only reported, with the reason. Controls apply one at a time, in
 * the order given (the controller sends them oldest first).
 */
export class ControlIntake {
  readonly #deps: ControlIntakeDeps;
  /** Sequences refused in this run, per service: not asked for again. */
  readonly #refused = new Map<string, number>();
  #queue: Promise<void> = Promise.resolve();

  constructor(deps: ControlIntakeDeps) {
    this.#deps = deps;
  }

  /** Per service, the highest control sequence this agent has decided on: the poll's `controls`. */
  known(): Record<string, number> {
    const known = { ...this.#deps.lastSequences() };
    for (const [service, sequence] of this.#refused) {
      known[service] = Math.max(known[service] ?? 0, sequence);
    }
    return known;
  }

  /** Verifies and applies each control in turn; resolves when every one is applied or refused. */
  offer(controls: readonly string[]): Promise<void> {
    const run = this.#queue.then(async () => {
      for (const jws of controls) await this.#take(jws);
    });
    this.#queue = run.catch((error: unknown) => {
      this.#deps.logger.error({ err: error }, 'applying service controls failed');
    });
    return run;
  }

  async #take(jws: string): Promise<void> {
    const { logger } = this.#deps;
    let control: ServiceControl;
    try {
      control = await this.#deps.verifyControl(jws);
    } catch (error) {
      await this.#refuse(unverifiedClaimOf(jws), error);
      return;
    }
    const { service, sequence } = control;
    let answer: AgentServiceControls;
    try {
      answer = await this.#deps.apply(service, actionOf(control));
      this.#deps.recordApplied(control);
    } catch (error) {
      await this.#refuse({ service, sequence }, error);
      return;
    }
    logger.info(
      { service, sequence, action: control.action, issuedBy: control.issuedBy },
      'service control applied',
    );
    await this.#deps.report({
      service,
      sequence,
      outcome: 'applied',
      error: null,
      routes: answer.routes,
    });
  }

  async #refuse(claim: UnverifiedClaim | null, error: unknown): Promise<void> {
    const code = isBerthError(error) ? error.code : 'INTERNAL';
    const message = isBerthError(error) ? error.message : 'the control could not be applied';
    const fields = { service: claim?.service, sequence: claim?.sequence, code };
    if (!isBerthError(error)) this.#deps.logger.error({ ...fields, err: error }, 'control failed');
    this.#deps.logger.warn({ ...fields, reason: message }, 'service control refused');
    // A control that does not even say what it is cannot be named in a report: logged only.
    if (!claim) return;
    const { service, sequence } = claim;
    this.#refused.set(service, Math.max(this.#refused.get(service) ?? 0, sequence));
    await this.#deps.report({
      service,
      sequence,
      outcome: 'refused',
      error: { code, message },
      routes: [],
    });
  }
}
