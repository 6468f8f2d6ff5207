import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';
import { getText } from '../helpers/load.ts';

const service = 'proxyset';
const errorPagesDir = mkdtempSync(join(tmpdir(), 'berth-error-pages-'));
writeFileSync(join(errorPagesDir, '503.html'), '<h1>Shop closed</h1><p>{{message}}</p>');

/** Proxy settings from config/deploy.yml, through a signed release, enforced by the real proxy. */
describe('deploy.yml proxy settings', () => {
  const s = fleetSuite(service, {
    deploy: ['v1'],
    config: (base) => ({
      ...base,
      proxy: {
        ...(base.proxy as Record<string, unknown>),
        max_request_body: 1_000,
        forward_headers: false,
      },
      error_pages_path: errorPagesDir,
    }),
  });

  afterAll(() => rmSync(errorPagesDir, { recursive: true, force: true }));

  async function post(body: string, chunked = false): Promise<{ status: number; text: string }> {
    const response = await request(`${s.host.proxyUrl}/upload`, {
      method: 'POST',
      // A stream has no length to declare, so undici sends it chunked.
      body: chunked ? Readable.from([body]) : body,
    });
    return { status: response.statusCode, text: await response.body.text() };
  }

  it('max_request_body: forwards a body within it, 413 for one over it, declared or chunked', async () => {
    // The demo app has no /upload: its 404 shows the request reached it.
    expect(await post('x'.repeat(900))).toMatchObject({ status: 404, text: 'not found' });
    expect((await post('x'.repeat(5_000))).status).toBe(413);
    expect((await post('x'.repeat(5_000), true)).status).toBe(413);
  });

  it("forward_headers false: the app sees the connection's X-Forwarded-*, not the client's", async () => {
    const response = await request(`${s.host.proxyUrl}/headers`, {
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-host': 'forged.test' },
    });
    const seen = (await response.body.json()) as Record<string, string>;
    expect(seen['x-forwarded-for']).not.toContain('203.0.113.9');
    expect(seen['x-forwarded-for']).toMatch(/^[0-9a-f.:]+$/);
    expect(seen['x-forwarded-host']).not.toBe('forged.test');
    expect(seen['x-forwarded-proto']).toBe('http');
  });

  it("error_pages_path: maintenance shows the release's own 503 page with the message", async () => {
    const on = await s.app.berth('maintenance', 'on', '--message', 'Back at 5 & no later');
    expect(on.code, on.stderr).toBe(0);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({
      status: 503,
      body: '<h1>Shop closed</h1><p>Back at 5 &#38; no later</p>',
    });
    expect((await getText(`${s.host.proxyUrl}/up`)).status).toBe(200);
    const off = await s.app.berth('maintenance', 'off');
    expect(off.code, off.stderr).toBe(0);
    expect(await getText(`${s.host.proxyUrl}/version`)).toEqual({ status: 200, body: 'v1' });
  });
});
