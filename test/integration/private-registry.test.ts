import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRegistry, type Registry } from '../helpers/registry.ts';
import { docker, dockerQuietly } from '../helpers/docker-cli.ts';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText } from '../helpers/load.ts';

const service = 'private';
const password = `pw-${Math.random().toString(36).slice(2)}`;

describe('deploying from a registry that wants credentials', () => {
  const images = inject('demoImages');
  let registry: Registry;
  let repository: string;

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: `deployer:${bcrypt.hashSync(password, 8)}` });
    repository = `${registry.address}/private`;
    await docker(['image', 'pull', images.v2.pinned]);
    await docker(['image', 'tag', images.v2.pinned, `${repository}:v2`]);
    const engine = new Docker({ version: 'v1.41' });
    const stream = await engine
      .getImage(`${repository}:v2`)
      .push({ authconfig: { username: 'deployer', password, serveraddress: registry.address } });
    await new Promise((resolve, reject) =>
      engine.modem.followProgress(stream, (error, output) =>
        error ? reject(error) : resolve(output),
      ),
    );
    // Forget every local reference to it, so the agent must pull with the credentials.
    await dockerQuietly(['image', 'rm', `${repository}:v2`]);
    for (const ref of (
      await docker([
        'image',
        'ls',
        '--digests',
        '--format',
        '{{.Repository}}@{{.Digest}}',
        repository,
      ])
    )
      .trim()
      .split('\n')) {
      if (ref.includes('@sha256:')) await dockerQuietly(['image', 'rm', ref]);
    }
  });

  afterAll(async () => {
    await registry?.stop();
  });

  const s = fleetSuite(service, {
    config: (base) => ({
      ...base,
      image: `${repository}`,
      registry: { username: 'deployer', password: ['REGISTRY_PASSWORD'] },
    }),
  });

  it('resolves the digest and pulls with credentials sealed to the host; the password is nowhere in clear', async () => {
    s.app.env.REGISTRY_PASSWORD = password;
    const result = await s.app.berth('deploy', '--version', 'v2');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/\[web-1\] pulling {6}image pulled/);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v2' });
    expect(await s.host.log()).not.toContain(password);
    const database = await readFile(join(s.host.dataDir, 'agent.sqlite'));
    expect(database.includes(password)).toBe(false);
    const env = await docker(['ps', '-q', '--filter', `label=berth.service=${service}`]);
    const inspect = await docker(['inspect', env.trim()]);
    expect(inspect).not.toContain(password);
  });

  it('says which credentials are missing when the password is not given', async () => {
    delete s.app.env.REGISTRY_PASSWORD;
    const result = await s.app.berth('deploy', '--version', 'v2');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/REGISTRY_PASSWORD/);
    expect(result.stderr).not.toContain(password);
  });
});
