import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostRecord, JoinAnswer } from '../../../shared/api/controller-api.ts';
import { formatPublicKey } from '../../../shared/keys/index.ts';
import { ControllerHarness, FLEET, newAgentIdentity } from './controller-harness.ts';

let harness: ControllerHarness;
beforeEach(async () => {
  harness = await ControllerHarness.create({ joinTokenTtlSeconds: 600 });
});
afterEach(() => harness.close());

async function hostRecord(name: string): Promise<HostRecord | undefined> {
  const { hosts } = (await harness.get('/v1/hosts')).json<{ hosts: HostRecord[] }>();
  return hosts.find((host) => host.name === name);
}

describe('POST /v1/hosts', () => {
  it('registers a pending host with a one-time secret that expires after joinTokenTtlSeconds', async () => {
    const issued = await harness.addHost('app-1');
    expect(issued.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.expiresAt).toBe(new Date(harness.nowMs + 600_000).toISOString());
    const record = await hostRecord('app-1');
    expect(record).toMatchObject({ state: 'pending', joinedAt: null, signingPublicKey: null });
    expect(JSON.stringify(record)).not.toContain(issued.secret);
  });

  it('issues a new secret when a pending host is added again; the old one stops working', async () => {
    const first = await harness.addHost('app-1');
    const second = await harness.addHost('app-1');
    expect(second.secret).not.toBe(first.secret);
    const agent = await newAgentIdentity('app-1');
    expect((await harness.joinRequest(agent, first.secret)).json()).toMatchObject({
      code: 'JOIN_TOKEN_INVALID',
    });
    expect((await harness.joinRequest(agent, second.secret)).statusCode).toBe(200);
  });

  it('refuses to re-add a host that has joined (409 HOST_EXISTS)', async () => {
    await harness.joinedHost('app-1');
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/hosts',
      headers: await harness.operatorAuth(),
      payload: { name: 'app-1' },
    });
    expect(response.statusCode).toBe(409);
    expect(response.json()).toMatchObject({ code: 'HOST_EXISTS' });
  });

  it('needs an operator token', async () => {
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/hosts',
      payload: { name: 'app-1' },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'AUTH_REQUIRED' });
  });
});

describe('POST /v1/join', () => {
  it('activates the host with its public keys and answers fleet and controller name', async () => {
    const { secret } = await harness.addHost('app-1');
    const agent = await newAgentIdentity('app-1');
    const response = await harness.joinRequest(agent, secret);
    expect(response.statusCode).toBe(200);
    expect(response.json<JoinAnswer>()).toEqual({
      name: 'app-1',
      fleet: FLEET,
      controllerName: 'controller',
    });
    expect(await hostRecord('app-1')).toMatchObject({
      state: 'active',
      joinedAt: harness.now().toISOString(),
      signingPublicKey: formatPublicKey(agent.signing.publicJwk),
      encryptionPublicKey: formatPublicKey(agent.encryption.publicJwk),
    });
  });

  it('refuses a token used already (JOIN_TOKEN_USED), even by the same agent', async () => {
    const { secret } = await harness.addHost('app-1');
    const agent = await newAgentIdentity('app-1');
    expect((await harness.joinRequest(agent, secret)).statusCode).toBe(200);
    const again = await harness.joinRequest(await newAgentIdentity('app-1'), secret);
    expect(again.statusCode).toBe(403);
    expect(again.json()).toMatchObject({ code: 'JOIN_TOKEN_USED' });
    expect((await hostRecord('app-1'))?.signingPublicKey).toBe(
      formatPublicKey(agent.signing.publicJwk),
    );
  });

  it('refuses an expired token (JOIN_TOKEN_EXPIRED)', async () => {
    const { secret } = await harness.addHost('app-1');
    harness.advance(600_000);
    const response = await harness.joinRequest(await newAgentIdentity('app-1'), secret);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'JOIN_TOKEN_EXPIRED' });
    expect((await hostRecord('app-1'))?.state).toBe('pending');
  });

  it('accepts a token one second before it expires', async () => {
    const { secret } = await harness.addHost('app-1');
    harness.advance(599_000);
    expect((await harness.joinRequest(await newAgentIdentity('app-1'), secret)).statusCode).toBe(
      200,
    );
  });

  it('refuses a wrong secret, or a right one for another host (JOIN_TOKEN_INVALID)', async () => {
    const { secret } = await harness.addHost('app-1');
    await harness.addHost('app-2');
    for (const [name, tried] of [
      ['app-1', `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`],
      ['app-2', secret],
      ['app-3', secret],
    ] as const) {
      const response = await harness.joinRequest(await newAgentIdentity(name), tried);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'JOIN_TOKEN_INVALID' });
      expect(response.body).not.toContain(secret);
    }
  });

  it('refuses keys of the wrong kind (KEY_INVALID)', async () => {
    const { secret } = await harness.addHost('app-1');
    const agent = await newAgentIdentity('app-1');
    const swapped = { ...agent, signing: agent.encryption, encryption: agent.signing };
    const response = await harness.joinRequest(swapped, secret);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'KEY_INVALID' });
    expect((await hostRecord('app-1'))?.state).toBe('pending');
  });
});

describe('DELETE /v1/hosts/:name', () => {
  it('revokes the host: its polls are refused from then on (403 HOST_REVOKED)', async () => {
    const agent = await harness.joinedHost('app-1');
    expect((await harness.poll(agent)).statusCode).toBe(200);
    const response = await harness.app.inject({
      method: 'DELETE',
      url: '/v1/hosts/app-1',
      headers: await harness.operatorAuth(),
    });
    expect(response.json()).toEqual({ name: 'app-1', revokedAt: harness.now().toISOString() });
    const poll = await harness.poll(agent);
    expect(poll.statusCode).toBe(403);
    expect(poll.json()).toMatchObject({ code: 'HOST_REVOKED' });
    const report = await harness.report(agent, {
      status: { services: [], sequences: {} },
      progress: [],
      refusals: [],
    });
    expect(report.statusCode).toBe(403);
  });

  it('answers 404 for a host never added', async () => {
    const response = await harness.app.inject({
      method: 'DELETE',
      url: '/v1/hosts/ghost',
      headers: await harness.operatorAuth(),
    });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('agent authentication', () => {
  it('refuses a token signed by another key, for another host, or for another audience', async () => {
    const agent = await harness.joinedHost('app-1');
    const other = await harness.joinedHost('app-2');
    const impostor = { ...agent, signing: (await newAgentIdentity('x')).signing };
    const cases = [
      await harness.poll(impostor),
      await harness.app.inject({
        method: 'GET',
        url: '/v1/agents/app-1/releases',
        headers: await harness.agentAuth(other, 'app-1'),
      }),
      await harness.app.inject({
        method: 'GET',
        url: '/v1/agents/app-2/releases',
        headers: await harness.agentAuth(other, 'app-1'),
      }),
      await harness.app.inject({
        method: 'GET',
        url: '/v1/agents/app-1/releases',
        headers: await harness.operatorAuth('app-1'),
      }),
    ];
    for (const response of cases) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'AUTH_INVALID' });
    }
  });

  it('refuses hosts that are unknown or have not joined yet', async () => {
    await harness.addHost('app-1');
    for (const name of ['app-1', 'ghost']) {
      const response = await harness.poll(await newAgentIdentity(name));
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'AUTH_INVALID' });
    }
  });
});
