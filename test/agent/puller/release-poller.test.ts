import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControllerLink } from '../../../agent/puller/controller-link.ts';
import { ReleaseIntake } from '../../../agent/puller/release-intake.ts';
import { ReleasePoller } from '../../../agent/puller/release-poller.ts';
import type { ReleaseRefusal } from '../../../shared/api/controller-api.ts';
import { generateSigningKey, type KeyPair } from '../../../shared/keys/index.ts';
import { FakeController } from './fake-controller.ts';
import {
  capturedLogger,
  CONTROLLER_NAME,
  eventually,
  FakeClock,
  FakeDeployer,
  HOST,
  releaseSigner,
  verifierFor,
  type ReleaseSigner,
} from './puller-fixtures.ts';

describe('release poller against a controller over pinned HTTPS', () => {
  let controller: FakeController;
  let signer: ReleaseSigner;
  let agentKey: KeyPair;
  let deployer: FakeDeployer;
  let clock: FakeClock;
  let refusals: ReleaseRefusal[];
  let log: ReturnType<typeof capturedLogger>;
  let poller: ReleasePoller;
  let link: ControllerLink;

  beforeEach(async () => {
    controller = await FakeController.start();
    signer = await releaseSigner();
    agentKey = await generateSigningKey();
    controller.agentKey = { kid: agentKey.kid, jwk: agentKey.publicJwk };
    deployer = new FakeDeployer();
    clock = new FakeClock();
    refusals = [];
    log = capturedLogger();
    link = new ControllerLink({
      url: controller.url,
      fingerprint: controller.fingerprint,
      controllerName: CONTROLLER_NAME,
      hostName: HOST,
      signingKey: agentKey,
      now: () => new Date(),
    });
    const intake = new ReleaseIntake({
      verifyRelease: verifierFor(signer, deployer),
      deployer,
      highestSequences: () => ({ ...deployer.highest }),
      refuse: (refusal) => refusals.push(refusal),
      started: () => undefined,
      logger: log.logger,
      clock,
    });
    poller = new ReleasePoller({ link, intake, logger: log.logger, clock });
  });

  afterEach(async () => {
    await poller.stop();
    await link.close();
    await controller.close();
  });

  it('applies a valid release and then asks only for newer ones, signing each poll as this host', async () => {
    deployer.highest.shop = 41;
    const jws = await signer.sign({ sequence: 42 });
    controller.publish(jws);
    poller.start();
    await eventually(() => deployer.started.length === 1, 'the release to start');
    expect(deployer.started[0]).toMatchObject({ service: 'shop', sequence: 42, version: 'v42' });
    await eventually(() => controller.polls.length >= 2, 'a second poll');
    expect(controller.polls[0]).toEqual({ host: HOST, known: { shop: 41 }, waitMs: 30_000 });
    expect(controller.polls[1]?.known).toEqual({ shop: 42 });
    expect(refusals).toEqual([]);
  });

  it.each([
    [
      'tampered',
      'SIGNATURE_INVALID',
      async (s: ReleaseSigner) => tamper(await s.sign({ sequence: 43 })),
    ],
    [
      'for another fleet',
      'FLEET_MISMATCH',
      (s: ReleaseSigner) => s.sign({ sequence: 43, fleet: 'staging' }),
    ],
    ['older than the live one', 'RELEASE_REPLAYED', (s: ReleaseSigner) => s.sign({ sequence: 40 })],
    [
      'a replay of the applied one',
      'RELEASE_REPLAYED',
      (s: ReleaseSigner) => s.sign({ sequence: 42 }),
    ],
    [
      'expired',
      'RELEASE_EXPIRED',
      (s: ReleaseSigner) => s.sign({ sequence: 43, expiresAt: '2026-11-22T09:00:00Z' }),
    ],
    [
      'signed by an unknown key',
      'SIGNING_KEY_UNKNOWN',
      async () => (await releaseSigner()).sign({ sequence: 43 }),
    ],
  ])(
    'refuses a release %s from a compromised controller, reports it once, and deploys nothing',
    async (_case, code, make) => {
      deployer.highest.shop = 42;
      controller.ignoreKnown = true;
      const jws = await make(signer);
      controller.publish(jws);
      poller.start();
      await eventually(() => controller.polls.length >= 3, 'three polls');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ service: 'shop', code });
      expect(deployer.attempts).toEqual([]);
      expect(deployer.highest).toEqual({ shop: 42 });
    },
  );

  it('tells the controller it has decided on a refused release, so it is not handed over again', async () => {
    deployer.highest.shop = 42;
    controller.publish(await signer.sign({ sequence: 50, fleet: 'staging' }));
    poller.start();
    await eventually(() => controller.polls.length >= 3, 'three polls');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ service: 'shop', sequence: 50, code: 'FLEET_MISMATCH' });
    expect(controller.polls[1]?.known).toEqual({ shop: 50 });
  });

  it('logs, but cannot name in a report, a release that does not say what it is', async () => {
    controller.publish('not-a.jws.at-all');
    controller.publish(await signer.sign({ sequence: 42 }));
    poller.start();
    await eventually(() => deployer.started.length === 1, 'the valid release');
    expect(refusals).toEqual([]);
    expect(log.lines().some((line) => line.msg === 'release refused')).toBe(true);
  });

  it('keeps only the newest release while a deployment runs, and starts it when that ends', async () => {
    deployer.highest.shop = 41;
    const finish = deployer.beBusy();
    controller.publish(await signer.sign({ sequence: 42 }));
    poller.start();
    await eventually(() => deployer.attempts.length === 1, 'the first attempt');
    controller.publish(await signer.sign({ sequence: 43 }));
    await eventually(() => deployer.attempts.length === 2, 'the newer release to be tried');
    await eventually(() => controller.polls.at(-1)?.known.shop === 43, 'a poll knowing 43');
    finish();
    await eventually(() => deployer.started.length === 1, 'the waiting release to start');
    expect(deployer.started.map((m) => m.sequence)).toEqual([43]);
    expect(refusals).toEqual([]);
  });

  it('backs off with full jitter, doubling to 60 s, while the controller is down; one warning', async () => {
    await controller.close();
    poller.start();
    await eventually(() => clock.sleeps.length >= 8, 'eight retries');
    await poller.stop();
    expect(clock.sleeps.slice(0, 8)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    const warnings = log.lines().filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toMatch(/no answer/);
  });

  it('waits the longest each time once the controller refuses the host (revoked); one error', async () => {
    controller.agentAnswer = { status: 403, body: { code: 'HOST_REVOKED', message: 'removed' } };
    poller.start();
    await eventually(() => clock.sleeps.length >= 3, 'three retries');
    await poller.stop();
    expect(clock.sleeps.slice(0, 3)).toEqual([60_000, 60_000, 60_000]);
    const errors = log.lines().filter((line) => line.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'HOST_REVOKED' });
  });

  it('is refused by a controller that does not trust its token', async () => {
    controller.agentKey = { kid: signer.key.kid, jwk: signer.key.publicJwk };
    poller.start();
    await eventually(() => clock.sleeps.length >= 1, 'a retry');
    expect(clock.sleeps[0]).toBe(60_000);
    expect(controller.polls).toEqual([]);
  });

  it('stops at once, mid-poll, and polls no more', async () => {
    controller.maxHoldMs = 60_000;
    poller.start();
    await eventually(() => controller.heldPolls === 1, 'a held poll');
    const startedAt = Date.now();
    await poller.stop();
    expect(Date.now() - startedAt).toBeLessThan(1_000);
    await eventually(() => controller.heldPolls === 0, 'the held poll to end');
    const polls = controller.polls.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(controller.polls.length).toBe(polls);
  });
});

function tamper(jws: string): string {
  const [header, payload, signature] = jws.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  claims.image = `registry.example.test/evil/shop@sha256:${'cd'.repeat(32)}`;
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}
