import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReleaseIntake } from '../../../agent/puller/release-intake.ts';
import { StaticReleaseSource } from '../../../agent/puller/static-release-source.ts';
import type { ReleaseRefusal } from '../../../shared/api/controller-api.ts';
import {
  capturedLogger,
  eventually,
  FakeClock,
  FakeDeployer,
  releaseSigner,
  verifierFor,
  type ReleaseSigner,
} from './puller-fixtures.ts';

/** A bucket: serves one JSON document with an ETag and answers 304 to a matching If-None-Match. */
class Bucket {
  releases: string[] = [];
  readonly requests: IncomingHttpHeaders[] = [];
  url = '';
  readonly #server: Server;

  constructor() {
    this.#server = createServer((request, response) => {
      this.requests.push(request.headers);
      const body = JSON.stringify({ releases: this.releases });
      const etag = `"${Buffer.from(body).toString('base64url').slice(-16)}-${body.length}"`;
      if (request.headers['if-none-match'] === etag) {
        response.writeHead(304).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json', etag }).end(body);
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/releases.json`;
  }

  async close(): Promise<void> {
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe('static release source (a bucket or CDN URL)', () => {
  let bucket: Bucket;
  let signer: ReleaseSigner;
  let deployer: FakeDeployer;
  let refusals: ReleaseRefusal[];
  let clock: FakeClock;
  let source: StaticReleaseSource;
  const signal = new AbortController().signal;

  function sourceWith(options: { intervalMs: number; random: number }): StaticReleaseSource {
    clock = new FakeClock(options.random);
    const { logger } = capturedLogger();
    const intake = new ReleaseIntake({
      verifyRelease: verifierFor(signer, deployer),
      deployer,
      highestSequences: () => ({ ...deployer.highest }),
      refuse: (refusal) => refusals.push(refusal),
      started: () => undefined,
      logger,
      clock,
    });
    const { intervalMs } = options;
    return new StaticReleaseSource({ url: bucket.url, intervalMs, intake, logger, clock });
  }

  beforeEach(async () => {
    bucket = new Bucket();
    await bucket.listen();
    signer = await releaseSigner();
    deployer = new FakeDeployer();
    refusals = [];
    source = sourceWith({ intervalMs: 30_000, random: 0.5 });
  });

  afterEach(async () => {
    await source.stop();
    await bucket.close();
  });

  it('applies a valid release, then asks with If-None-Match and does nothing on 304', async () => {
    bucket.releases = [await signer.sign({ sequence: 7 })];
    expect(await source.fetchOnce(signal)).toBe('changed');
    expect(deployer.started.map((m) => m.sequence)).toEqual([7]);
    expect(await source.fetchOnce(signal)).toBe('unchanged');
    expect(bucket.requests[1]?.['if-none-match']).toMatch(/^".+"$/);
    expect(deployer.attempts).toEqual([7]);
  });

  it('skips quietly what is for other hosts or already applied, but reports a forgery once', async () => {
    deployer.highest.shop = 7;
    const forged = (await releaseSigner()).sign({ sequence: 9 });
    bucket.releases = [
      await signer.sign({ sequence: 6 }),
      await signer.sign({ service: 'other', sequence: 3, roles: { web: { hosts: ['app-2'] } } }),
      await forged,
    ];
    await source.fetchOnce(signal);
    bucket.releases = [...bucket.releases, await signer.sign({ sequence: 8 })];
    await source.fetchOnce(signal);
    expect(refusals.map((r) => [r.service, r.sequence, r.code])).toEqual([
      ['shop', 9, 'SIGNING_KEY_UNKNOWN'],
    ]);
    expect(deployer.started.map((m) => m.sequence)).toEqual([8]);
  });

  it('polls at its interval and backs off (never faster than the interval) when the URL fails', async () => {
    source = sourceWith({ intervalMs: 2_000, random: 0.99 });
    bucket.releases = [await signer.sign({ sequence: 7 })];
    source.start();
    await eventually(() => clock.sleeps.length >= 2, 'two fetches');
    await source.stop();
    await bucket.close();
    const before = clock.sleeps.length;
    source.start();
    await eventually(() => clock.sleeps.length >= before + 8, 'eight retries');
    await source.stop();
    expect(clock.sleeps.slice(0, 2)).toEqual([2_000, 2_000]);
    expect(clock.sleeps.slice(before, before + 8)).toEqual([
      2_000, 2_000, 3_960, 7_920, 15_840, 31_680, 59_400, 59_400,
    ]);
    expect(deployer.started).toHaveLength(1);
  });
});
