import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { AgentReport } from '../../shared/api/controller-api.ts';
import { signOperatorToken } from '../../shared/auth/operator-token.ts';
import type { SigningKey } from '../../shared/keys/index.ts';
import { pinnedAgent } from '../../shared/tls/pinned-agent.ts';
import { callController, ControllerCallError } from './controller-call.ts';

/** How long past the held long-poll we wait for the controller's answer before calling it lost. */
const ANSWER_GRACE_MS = 15_000;
const REPORT_TIMEOUT_MS = 30_000;

const pollAnswer = z.object({
  releases: z.array(z.string().max(1_000_000)).max(1_000),
  // Absent from controllers that predate service controls.
  controls: z.array(z.string().max(100_000)).max(1_000).default([]),
});

/** What one poll brought: signed releases and signed service controls, unverified. */
export interface PolledWork {
  releases: string[];
  controls: string[];
}

export interface ControllerLinkOptions {
  url: string;
  fingerprint: string;
  /** The controller's name: the audience of this agent's tokens. */
  controllerName: string;
  hostName: string;
  signingKey: SigningKey;
  now: () => Date;
}

/**
 * The agent's side of the controller API: long-poll for releases and service controls, push reports. TLS is pinned
 * to the fingerprint from the join token, and every request carries a fresh token signed
 * with this host's identity key.
 */
export class ControllerLink {
  readonly #options: ControllerLinkOptions;
  readonly #dispatcher: Dispatcher;

  constructor(options: ControllerLinkOptions, dispatcher?: Dispatcher) {
    this.#options = options;
    this.#dispatcher = dispatcher ?? pinnedAgent(options.fingerprint);
  }

  /**
   * Releases newer than `known` (service → highest sequence) and, when `knownControls` is given,
   * service controls above it; the controller holds the call up to waitMs.
   */
  async poll(
    known: Record<string, number>,
    waitMs: number,
    signal: AbortSignal,
    knownControls?: Record<string, number>,
  ): Promise<PolledWork> {
    const query = new URLSearchParams({
      known: Buffer.from(JSON.stringify(known)).toString('base64url'),
      waitMs: String(waitMs),
    });
    if (knownControls) {
      query.set('controls', Buffer.from(JSON.stringify(knownControls)).toString('base64url'));
    }
    const answer = await callController(this.#options.url, this.#dispatcher, {
      method: 'GET',
      path: `${this.#agentPath()}/releases?${query.toString()}`,
      token: await this.#token(),
      timeoutMs: waitMs + ANSWER_GRACE_MS,
      signal,
    });
    const parsed = pollAnswer.safeParse(answer);
    if (!parsed.success) {
      throw new ControllerCallError(
        'INTERNAL',
        `controller ${this.#options.url} answered the release poll with something other than {"releases": [...]}`,
        { httpStatus: 502 },
      );
    }
    return parsed.data;
  }

  /** Releases newer than `known` (service → highest sequence); the controller holds the call up to waitMs. */
  async pollReleases(
    known: Record<string, number>,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<string[]> {
    return (await this.poll(known, waitMs, signal)).releases;
  }

  async sendReport(report: AgentReport, signal?: AbortSignal): Promise<void> {
    await callController(this.#options.url, this.#dispatcher, {
      method: 'POST',
      path: `${this.#agentPath()}/reports`,
      token: await this.#token(),
      body: report,
      timeoutMs: REPORT_TIMEOUT_MS,
      signal,
    });
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  #agentPath(): string {
    return `/v1/agents/${encodeURIComponent(this.#options.hostName)}`;
  }

  #token(): Promise<string> {
    const { signingKey, controllerName, hostName, now } = this.#options;
    return signOperatorToken(signingKey, {
      audience: controllerName,
      subject: hostName,
      now: now(),
    });
  }
}
