import { Readable } from 'node:stream';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { fleetSuite } from '../helpers/fleet-suite.ts';

const service = 'bodylimit';

/** `proxy.max_request_body` in config/deploy.yml, through a signed release, enforced by the proxy. */
describe('proxy.max_request_body', () => {
  const s = fleetSuite(service, {
    deploy: ['v1'],
    config: (base) => ({
      ...base,
      proxy: { ...(base.proxy as Record<string, unknown>), max_request_body: 1_000 },
    }),
  });

  async function post(body: string, chunked = false): Promise<{ status: number; text: string }> {
    const response = await request(`${s.host.proxyUrl}/upload`, {
      method: 'POST',
      // A stream has no length to declare, so undici sends it chunked.
      body: chunked ? Readable.from([body]) : body,
    });
    return { status: response.statusCode, text: await response.body.text() };
  }

  it('forwards a body within the limit and answers 413 for one over it, declared or chunked', async () => {
    // The demo app has no /upload: its 404 shows the request reached it.
    expect(await post('x'.repeat(900))).toMatchObject({ status: 404, text: 'not found' });
    expect((await post('x'.repeat(5_000))).status).toBe(413);
    expect((await post('x'.repeat(5_000), true)).status).toBe(413);
  });
});
