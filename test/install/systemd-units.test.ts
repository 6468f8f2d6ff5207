import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoDir } from './bundle-cache.ts';
import { systemdAnalyze, verifyUnits } from './unit-files.ts';

const units = [
  'berth-agent.service',
  'berth-proxy.service',
  'berth-proxy.socket',
  'berth-proxy-https.socket',
];
const unitPath = (unit: string): string => join(repoDir, 'systemd', unit);

describe('systemd units', () => {
  let root: string;

  beforeAll(async () => {
    if (!existsSync(systemdAnalyze))
      throw new Error(
        `${systemdAnalyze} is missing: run scripts/install-system-deps.sh (apt-get install systemd)`,
      );
    // verify checks that ExecStart names an executable: give it one in a scratch root.
    root = await mkdtemp(join(tmpdir(), 'berth-units-'));
    await mkdir(join(root, 'usr/local/lib/berth/bin'), { recursive: true });
    await mkdir(join(root, 'var/lib/berth'), { recursive: true });
    await writeFile(join(root, 'usr/local/lib/berth/bin/berth-agent'), '#!/bin/sh\n');
    await chmod(join(root, 'usr/local/lib/berth/bin/berth-agent'), 0o755);
  });

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('pass systemd-analyze verify', async () => {
    expect(await verifyUnits(units.map(unitPath), root)).toBe('');
  });

  it('fail systemd-analyze verify when a directive is wrong (the check can fail)', async () => {
    const broken = join(root, 'berth-agent.service');
    const text = await readFile(unitPath('berth-agent.service'), 'utf8');
    await writeFile(broken, text.replace('Restart=on-failure', 'Restart=sometimes'));
    expect(await verifyUnits([broken], root)).toMatch(/Failed to parse service restart specifier/);
  });

  it('run the agent without its own proxy, after Docker, hardened', async () => {
    const agent = await readFile(unitPath('berth-agent.service'), 'utf8');
    expect(agent).toMatch(
      /^ExecStart=\/usr\/local\/lib\/berth\/bin\/berth-agent run --data-dir \/var\/lib\/berth --no-proxy$/m,
    );
    expect(agent).toMatch(/^Requires=docker\.service$/m);
    expect(agent).toMatch(/^After=.*docker\.service/m);
    for (const unit of ['berth-agent.service', 'berth-proxy.service']) {
      const text = await readFile(unitPath(unit), 'utf8');
      for (const line of [
        'Restart=on-failure',
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'StandardOutput=journal',
        'ReadWritePaths=/var/lib/berth',
      ]) {
        expect(text.split('\n'), `${unit}: ${line}`).toContain(line);
      }
    }
  });

  it('hand the proxy its ports through berth-proxy.socket and berth-proxy-https.socket, so its restarts refuse no connection', async () => {
    const socket = await readFile(unitPath('berth-proxy.socket'), 'utf8');
    expect(socket).toMatch(/^ListenStream=80$/m);
    expect(socket).toMatch(/^FileDescriptorName=http$/m);
    const https = await readFile(unitPath('berth-proxy-https.socket'), 'utf8');
    expect(https).toMatch(/^ListenStream=443$/m);
    expect(https).toMatch(/^FileDescriptorName=https$/m);
    for (const text of [socket, https]) {
      expect(text).toMatch(/^NoDelay=yes$/m);
      expect(text).toMatch(/^Service=berth-proxy\.service$/m);
      expect(text).toMatch(/^WantedBy=sockets\.target$/m);
    }
    const proxy = await readFile(unitPath('berth-proxy.service'), 'utf8');
    expect(proxy).toMatch(/^Requires=berth-proxy\.socket berth-proxy-https\.socket$/m);
    expect(proxy).toMatch(/^After=berth-proxy\.socket berth-proxy-https\.socket /m);
    expect(proxy).toMatch(
      /^ExecStart=.* proxy --agent-config \/var\/lib\/berth\/agent\.yml --socket \/var\/lib\/berth\/proxy\.sock .*--http-port 80 --https-port 443$/m,
    );
  });
});
