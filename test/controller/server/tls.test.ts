import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Dispatcher } from 'undici';
import type { ControllerIdentity, PublishedRelease } from '../../../shared/api/controller-api.ts';
import { formatPublicKey } from '../../../shared/keys/index.ts';
import { pinnedAgent } from '../../../shared/tls/pinned-agent.ts';
import { createSelfSignedCertificate } from '../../../shared/tls/self-signed-certificate.ts';
import { encodeKnownSequences } from '../../../controller/server/known-sequences.ts';
import { ControllerHarness, type AgentIdentity } from './controller-harness.ts';
import { until } from './until.ts';

let harness: ControllerHarness;
let agent: AgentIdentity;
let baseUrl: string;
let fingerprint: string;
let dispatcher: Dispatcher;

beforeAll(async () => {
  const certificate = await createSelfSignedCertificate({ commonName: 'berth-controller test' });
  fingerprint = certificate.fingerprint;
  harness = await ControllerHarness.create(
    { longPollMaxMs: 5_000 },
    { key: certificate.keyPem, cert: certificate.certPem },
  );
  agent = await harness.joinedHost('app-1');
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  const address = harness.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  baseUrl = `https://127.0.0.1:${address.port}`;
  dispatcher = pinnedAgent(fingerprint);
});
afterAll(async () => {
  await dispatcher.close();
  await harness.close();
});

async function call<T>(
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const response = await request(`${baseUrl}${path}`, {
    method,
    dispatcher,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.statusCode, json: (await response.body.json()) as T };
}

describe('the controller over real TLS', () => {
  it('answers clients that pin its certificate fingerprint', async () => {
    const { status, json } = await call<ControllerIdentity>('GET', '/v1/identity', {});
    expect(status).toBe(200);
    expect(json).toEqual({
      name: 'controller',
      fleet: 'production',
      releaseKeys: [formatPublicKey(harness.release.publicJwk)],
      publicKeyPin: null,
    });
  });

  it('is refused by a client pinning another fingerprint', async () => {
    const wrong = pinnedAgent(`sha256:${'0'.repeat(64)}`);
    try {
      await expect(request(`${baseUrl}/v1/identity`, { dispatcher: wrong })).rejects.toMatchObject({
        code: 'TLS_PINNING_FAILED',
      });
    } finally {
      await wrong.close();
    }
  });

  it('holds an agent poll over TLS until a publish wakes it', async () => {
    const poll = call<{ releases: string[] }>(
      'GET',
      `/v1/agents/app-1/releases?known=${encodeKnownSequences({ shop: 0 })}&waitMs=5000`,
      await harness.agentAuth(agent),
    );
    await until(() => harness.agentPolls.isHeld('app-1'));
    const jws = await harness.signedRelease(1, ['app-1']);
    const published = await call<PublishedRelease>(
      'POST',
      '/v1/releases',
      await harness.operatorAuth(),
      {
        release: jws,
      },
    );
    expect(published).toEqual({
      status: 201,
      json: { service: 'shop', sequence: 1, version: 'v1', targets: ['app-1'] },
    });
    expect(await poll).toEqual({ status: 200, json: { releases: [jws] } });
  });

  it('frees a held poll when the agent hangs up', async () => {
    const controller = new AbortController();
    const poll = request(
      `${baseUrl}/v1/agents/app-1/releases?known=${encodeKnownSequences({ shop: 1 })}&waitMs=5000`,
      {
        dispatcher,
        headers: await harness.agentAuth(agent),
        signal: controller.signal,
      },
    );
    await until(() => harness.agentPolls.isHeld('app-1'));
    controller.abort();
    await expect(poll).rejects.toThrow();
    await until(() => harness.agentPolls.heldCount === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(harness.logText()).not.toMatch(/"level":(50|60)/);
  });

  it('answers held polls at close instead of waiting them out', async () => {
    const poll = call<{ releases: string[] }>(
      'GET',
      `/v1/agents/app-1/releases?known=${encodeKnownSequences({ shop: 1 })}&waitMs=5000`,
      await harness.agentAuth(agent),
    );
    await until(() => harness.agentPolls.isHeld('app-1'));
    const started = Date.now();
    await harness.app.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await poll).toEqual({ status: 200, json: { releases: [] } });
  });
});
