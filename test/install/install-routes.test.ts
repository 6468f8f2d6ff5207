import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareVersions,
  installRoutes,
  renderInstallScript,
} from '../../controller/server/routes/install-routes.ts';
import { createSelfSignedCertificate } from '../../shared/tls/self-signed-certificate.ts';

const sum = (char: string): string => char.repeat(64);

describe('install routes (open: install.sh and agent bundles)', () => {
  let dir: string;
  let app: FastifyInstance;
  let fingerprint: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-install-routes-'));
    const bundle = (version: string, arch: string): string =>
      `berth-agent-${version}-linux-${arch}.tar.gz`;
    for (const [version, arch, hash] of [
      ['0.9.1', 'x64', 'a'],
      ['0.10.0', 'x64', 'b'],
      ['0.11.0', 'arm64', 'c'],
    ] as const) {
      await writeFile(join(dir, bundle(version, arch)), `tarball ${version}`);
      await writeFile(
        join(dir, `${bundle(version, arch)}.sha256`),
        `${sum(hash)}  ${bundle(version, arch)}\n`,
      );
    }
    // No checksum beside it: never offered.
    await writeFile(join(dir, bundle('0.12.0', 'x64')), 'unfinished upload');
    const certificate = await createSelfSignedCertificate({ commonName: 'test controller' });
    fingerprint = certificate.fingerprint;
    app = Fastify();
    app.register(installRoutes({ bundlesDir: dir, certPem: certificate.certPem }));
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('renders install.sh with the URL it was fetched from and the certificate fingerprint', async () => {
    const response = await app.inject({
      url: '/install.sh',
      headers: { host: 'deploy.example.com:7600' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/x-shellscript/);
    expect(response.body).toMatch(
      /^RENDERED_CONTROLLER_URL='https:\/\/deploy\.example\.com:7600'$/m,
    );
    expect(response.body).toMatch(
      new RegExp(`^RENDERED_CONTROLLER_FINGERPRINT='${fingerprint}'$`, 'm'),
    );
    expect(response.body.startsWith('#!/bin/sh\n')).toBe(true);
  });

  it('leaves the URL out when the Host header could break out of the quotes', async () => {
    const response = await app.inject({ url: '/install.sh', headers: { host: "x';reboot;'" } });
    expect(response.body).toMatch(/^RENDERED_CONTROLLER_URL=''$/m);
    expect(() =>
      renderInstallScript("RENDERED_CONTROLLER_URL=''", "https://x';id;'", ''),
    ).toThrow();
  });

  it('names the newest bundle per architecture that has a checksum', async () => {
    const x64 = await app.inject({ url: '/bundle/latest-linux-x64.sha256' });
    expect(x64.body).toBe(`${sum('b')}  berth-agent-0.10.0-linux-x64.tar.gz\n`);
    const arm = await app.inject({ url: '/bundle/latest-linux-arm64.sha256' });
    expect(arm.body).toBe(`${sum('c')}  berth-agent-0.11.0-linux-arm64.tar.gz\n`);
  });

  it('serves a bundle and its checksum file', async () => {
    const tarball = await app.inject({ url: '/bundle/berth-agent-0.9.1-linux-x64.tar.gz' });
    expect(tarball.statusCode).toBe(200);
    expect(tarball.headers['content-type']).toBe('application/gzip');
    expect(tarball.body).toBe('tarball 0.9.1');
    const checksum = await app.inject({ url: '/bundle/berth-agent-0.9.1-linux-x64.tar.gz.sha256' });
    expect(checksum.body).toBe(`${sum('a')}  berth-agent-0.9.1-linux-x64.tar.gz\n`);
  });

  it('answers 404 for unknown names, other files and paths outside the bundles dir', async () => {
    for (const url of [
      '/bundle/berth-agent-1.0.0-linux-x64.tar.gz',
      '/bundle/latest-linux-riscv64.sha256',
      '/bundle/..%2F..%2Fetc%2Fpasswd',
      '/bundle/controller.sqlite',
    ]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
  });

  it('orders versions numerically', () => {
    expect(compareVersions('0.10.0', '0.9.1')).toBe(1);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
    expect(compareVersions('1.2', '1.2.1')).toBe(-1);
  });
});
