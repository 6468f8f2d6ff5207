import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AgentReport, ReleaseRefusal } from '../../shared/api/controller-api.ts';
import {
  agentConfigPath,
  loadAgentConfig,
  writeAgentConfig,
} from '../../shared/config/agent-config.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';
import { createPullFleet, type PullFleet } from '../helpers/pull-fleet.ts';
import { demoConfig } from '../helpers/demo-config.ts';
import { getText } from '../helpers/load.ts';
import { snapshotHost } from '../helpers/host-snapshot.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { TestHost } from '../helpers/test-fleet.ts';

const service = 'victim';

/** A controller gone bad: it answers every poll with the releases it is told to, and records reports. */
async function startEvilController(
  offer: () => string[],
): Promise<{ app: FastifyInstance; url: string; fingerprint: string; refusals: ReleaseRefusal[] }> {
  const certificate = await createSelfSignedCertificate({ commonName: 'evil' });
  const app = Fastify({ https: { key: certificate.keyPem, cert: certificate.certPem } });
  const refusals: ReleaseRefusal[] = [];
  app.get('/v1/agents/:name/releases', async () => ({ releases: offer() }));
  app.post('/v1/agents/:name/reports', async (request, reply) => {
    refusals.push(...((request.body as AgentReport).refusals ?? []));
    return reply.status(204).send();
  });
  app.get('/v1/identity', async () => ({ name: 'controller', fleet: 'default', releaseKeys: [] }));
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: address, fingerprint: certificate.fingerprint, refusals };
}

describe('a compromised controller', () => {
  const images = inject('demoImages');
  let fleet: PullFleet;
  let host: TestHost;
  let releases: string[];

  beforeAll(async () => {
    fleet = await createPullFleet({ service, hosts: 1 });
    host = fleet.hosts[0] as TestHost;
    await fleet.app.writeConfig({
      ...demoConfig({ service, repository: images.v1.repository, hosts: [host.name] }),
      controller: { url: fleet.controller.url, fingerprint: fleet.controller.fingerprint },
    });
    for (const version of ['v1', 'v2']) {
      const result = await fleet.app.berth('deploy', '--version', version, '--timeout', '60');
      expect(result.code, result.stderr).toBe(0);
    }
    const history = JSON.parse((await fleet.app.berth('releases', '--json')).stdout) as {
      releases: { sequence: number }[];
    };
    expect(history.releases).toHaveLength(2);
    releases = [];
  });

  afterAll(async () => {
    await fleet?.destroy();
  });

  it('cannot make the agent apply an older or a tampered release; the agent reports why and keeps serving', async () => {
    const { releases: stored } = JSON.parse(
      (await fleet.app.berth('releases', '--json')).stdout,
    ) as { releases: { sequence: number; version: string }[] };
    expect(stored.map((r) => r.version)).toEqual(['v2', 'v1']);
    // The agent's own store holds the JWSs it accepted; take them from its API answer via the CLI's direct path.
    const agentReleases = await hostReleases(host);
    const older = agentReleases.find((r) => r.version === 'v1')?.jws ?? '';
    const current = agentReleases.find((r) => r.version === 'v2')?.jws ?? '';
    const [header, payload, signature] = current.split('.');
    const body = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as {
      sequence: number;
      image: string;
    };
    body.sequence += 1000;
    body.image = images.bad.pinned;
    const tampered = [
      header,
      Buffer.from(JSON.stringify(body)).toString('base64url'),
      signature,
    ].join('.');
    releases = [older, tampered];

    const evil = await startEvilController(() => releases);
    try {
      const before = await snapshotHost(host, service);
      const path = agentConfigPath(host.dataDir);
      const config = await loadAgentConfig(path);
      await host.stop('SIGTERM');
      await writeAgentConfig(path, {
        ...config,
        controller: { url: evil.url, fingerprint: evil.fingerprint, name: 'controller' },
      });
      await host.start();
      const refusals = await waitFor('the agent to report both refusals', async () => {
        const codes = new Set(evil.refusals.map((r) => r.code));
        return codes.has('RELEASE_REPLAYED') && codes.has('SIGNATURE_INVALID')
          ? evil.refusals
          : undefined;
      });
      expect(refusals.find((r) => r.code === 'SIGNATURE_INVALID')?.message).toMatch(/signature/i);
      expect(refusals.find((r) => r.code === 'RELEASE_REPLAYED')?.message).toMatch(
        /is not greater than/,
      );
      expect(await getText(`${host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
      expect(await snapshotHost(host, service)).toEqual(before);
    } finally {
      await evil.app.close();
    }
  });
});

async function hostReleases(host: TestHost): Promise<{ version: string; jws: string }[]> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(`${host.dataDir}/agent.sqlite`, { readonly: true });
  try {
    return db.prepare('SELECT version, jws FROM releases ORDER BY sequence').all() as {
      version: string;
      jws: string;
    }[];
  } finally {
    db.close();
  }
}
