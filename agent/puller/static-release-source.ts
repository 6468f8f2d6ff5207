import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { Logger } from '../../shared/logger.ts';
import { ControllerCallError } from './controller-call.ts';
import type { PullClock } from './pull-clock.ts';
import type { ReleaseIntake } from './release-intake.ts';
import { BackgroundLoop } from './background-loop.ts';
import { RetrySchedule } from './retry-schedule.ts';

const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 30_000;
const releasesDocument = z.object({ releases: z.array(z.string().max(1_000_000)).max(10_000) });

export interface StaticReleaseSourceDeps {
  url: string;
  intervalMs: number;
  intake: Pick<ReleaseIntake, 'offer'>;
  logger: Logger;
  clock: PullClock;
  dispatcher?: Dispatcher;
}

/**
 * Releases from a plain HTTPS URL (an S3 bucket, a CDN) serving `{"releases": [jws, …]}`: how
 * signed releases reach fleets too large for one controller. The transport is untrusted; every
 * release goes through the same checks as a pushed one. Conditional GETs (ETag) keep it cheap.
 */
export class StaticReleaseSource {
  readonly #deps: StaticReleaseSourceDeps;
  readonly #schedule: RetrySchedule;
  #etag: string | null = null;
  /** The releases of the last document, offered already. */
  #offered = new Set<string>();
  readonly #loop = new BackgroundLoop((signal) => this.#run(signal));

  constructor(deps: StaticReleaseSourceDeps) {
    this.#deps = deps;
    this.#schedule = new RetrySchedule({
      what: `release URL ${deps.url}`,
      logger: deps.logger,
      random: deps.clock.random,
    });
  }

  start(): void {
    this.#loop.start();
  }

  async stop(): Promise<void> {
    await this.#loop.stop();
  }

  /** One conditional GET; offers releases not seen in the previous document. */
  async fetchOnce(signal: AbortSignal): Promise<'changed' | 'unchanged'> {
    const { url, intake } = this.#deps;
    const response = await this.#get(signal);
    if (response.statusCode === 304) {
      await response.body.dump();
      return 'unchanged';
    }
    if (response.statusCode !== 200) {
      await response.body.dump();
      throw new ControllerCallError(
        'HOST_UNREACHABLE',
        `release URL ${url} answered ${response.statusCode}`,
        {
          httpStatus: response.statusCode,
        },
      );
    }
    const document = releasesDocument.safeParse(parseJson(await readBounded(response, url)));
    if (!document.success) {
      throw new ControllerCallError(
        'MANIFEST_INVALID',
        `release URL ${url} does not serve {"releases": [jws, …]}`,
        {
          httpStatus: 502,
        },
      );
    }
    const etag = response.headers.etag;
    this.#etag = typeof etag === 'string' ? etag : null;
    const fresh = document.data.releases.filter((jws) => !this.#offered.has(jws));
    this.#offered = new Set(document.data.releases);
    if (fresh.length > 0) await intake.offer(fresh, 'url');
    return 'changed';
  }

  async #get(signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#etag) headers['if-none-match'] = this.#etag;
    try {
      return await request(this.#deps.url, {
        headers,
        signal,
        dispatcher: this.#deps.dispatcher,
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
      });
    } catch (error) {
      throw new ControllerCallError(
        'HOST_UNREACHABLE',
        `release URL ${this.#deps.url} did not answer`,
        {
          httpStatus: null,
          cause: error,
        },
      );
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { clock, intervalMs } = this.#deps;
    while (!signal.aborted) {
      let delayMs = intervalMs;
      try {
        await this.fetchOnce(signal);
        this.#schedule.succeeded();
      } catch (error) {
        if (signal.aborted) break;
        delayMs = Math.max(intervalMs, this.#schedule.failed(error));
      }
      await clock.sleep(delayMs, signal);
    }
  }
}

async function readBounded(response: Dispatcher.ResponseData, url: string): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of response.body) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    bytes += buffer.length;
    if (bytes > MAX_DOCUMENT_BYTES) {
      response.body.destroy();
      throw new ControllerCallError(
        'MANIFEST_INVALID',
        `release URL ${url} serves more than 16 MiB`,
        {
          httpStatus: 502,
        },
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
