import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAgentConfigFlags } from '../../../agent/proxy/agent-config-flags.ts';
import { parseProxyArguments } from '../../../agent/proxy/run-proxy.ts';
import { agentConfigPath, writeAgentConfig } from '../../../shared/config/agent-config.ts';

describe('berth-agent proxy --agent-config (what berth-proxy.service passes)', () => {
  let dir: string;
  let configPath: string;
  const base = ['--socket', '/s', '--state', '/t'];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-proxy-config-'));
    configPath = agentConfigPath(dir);
    await writeAgentConfig(configPath, {
      name: 'web-1',
      fleet: 'prod',
      dataDir: dir,
      proxy: {
        acme: {
          directoryUrl: 'https://acme.internal.test/directory',
          email: 'ops@example.test',
        },
      },
    });
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes proxy.acme from the agent config when HTTPS is on', async () => {
    const argv = await withAgentConfigFlags([
      ...['--agent-config', configPath, ...base, '--https-port', '443'],
    ]);
    expect(parseProxyArguments(argv).https?.acme).toMatchObject({
      directoryUrl: 'https://acme.internal.test/directory',
      email: 'ops@example.test',
    });
  });

  it('lets an explicit --acme-* flag win', async () => {
    const argv = await withAgentConfigFlags([
      ...['--agent-config', configPath, ...base, '--https-port', '443'],
      ...['--acme-email', 'flag@example.test'],
    ]);
    expect(parseProxyArguments(argv).https?.acme?.email).toBe('flag@example.test');
  });

  it('adds no ACME flags without HTTPS, so the proxy still starts', async () => {
    for (const https of [[], ['--https-port', '0']]) {
      const argv = await withAgentConfigFlags(['--agent-config', configPath, ...base, ...https]);
      expect(argv).toEqual([...base, ...https, '--access-log']);
      expect(parseProxyArguments(argv).https).toBeUndefined();
    }
  });

  it('turns the access log on unless proxy.accessLog is false', async () => {
    const on = await withAgentConfigFlags(['--agent-config', configPath, ...base]);
    expect(parseProxyArguments(on).traffic.accessLog).toBe(true);
    const quiet = join(dir, 'quiet.yml');
    await writeAgentConfig(quiet, {
      name: 'web-1',
      fleet: 'prod',
      dataDir: dir,
      proxy: { accessLog: false },
    });
    const off = await withAgentConfigFlags(['--agent-config', quiet, ...base]);
    expect(off).toEqual(base);
    expect(parseProxyArguments(off).traffic.accessLog).toBe(false);
  });

  it('takes proxy.workers from the agent config unless --workers is given', async () => {
    const withWorkers = join(dir, 'workers.yml');
    await writeAgentConfig(withWorkers, {
      name: 'web-1',
      fleet: 'prod',
      dataDir: dir,
      proxy: { workers: 1 },
    });
    const fromConfig = await withAgentConfigFlags(['--agent-config', withWorkers, ...base]);
    expect(parseProxyArguments(fromConfig).workers).toBe(1);
    const fromFlag = await withAgentConfigFlags([
      ...['--agent-config', withWorkers, ...base, '--workers', '3'],
    ]);
    expect(parseProxyArguments(fromFlag).workers).toBe(3);
    const absent = await withAgentConfigFlags(['--agent-config', configPath, ...base]);
    expect(parseProxyArguments(absent).workers).toBeGreaterThanOrEqual(1);
    expect(absent).not.toContain('--workers');
  });

  it('names what is wrong: no path, or a config that does not load', async () => {
    await expect(withAgentConfigFlags([...base, '--agent-config'])).rejects.toThrow(
      /--agent-config needs the path/,
    );
    await expect(
      withAgentConfigFlags(['--agent-config', join(dir, 'missing.yml'), '--https-port', '443']),
    ).rejects.toThrow(/missing\.yml/);
  });
});
