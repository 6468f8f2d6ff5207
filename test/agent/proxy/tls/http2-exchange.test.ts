import {
  connect as http2Connect,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
} from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../../../../shared/tls/self-signed-certificate.ts';
import {
  customTls,
  startTlsProxy,
  startViewApp,
  tlsRoute,
  type AppView,
  type TlsTestProxy,
} from './tls-harness.ts';

interface Answer {
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * One request on `session`. With `expectContinue`, the body is sent only once the proxy says
 * `100 Continue`, so a proxy that never says it leaves the request hanging.
 */
function exchange(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: { text: string; expectContinue?: boolean },
): Promise<Answer> {
  const stream = session.request(
    { ':authority': 'shop.test', ...headers },
    { endStream: body === undefined },
  );
  if (body !== undefined) {
    if (body.expectContinue === true) stream.once('continue', () => stream.end(body.text));
    else stream.end(body.text);
  }
  return new Promise((resolve, reject) => {
    let responseHeaders: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.once('response', (received) => (responseHeaders = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () =>
      resolve({ headers: responseHeaders, text: Buffer.concat(chunks).toString('utf8') }),
    );
    stream.once('error', reject);
  });
}

describe('HTTP/2 exchanges on the core stream API', () => {
  let proxy: TlsTestProxy;
  let app: Awaited<ReturnType<typeof startViewApp>>;
  let shop: SelfSignedCertificate;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    [app, shop] = await Promise.all([
      startViewApp(),
      createSelfSignedCertificate({ commonName: 'shop.test', dnsNames: ['shop.test'] }),
    ]);
    proxy = await startTlsProxy();
    await proxy.client.switchService('shop', tlsRoute(app.target, ['shop.test'], customTls(shop)));
    session = http2Connect(`https://127.0.0.1:${proxy.httpsPort}`, {
      servername: 'shop.test',
      ca: shop.certPem,
    });
  });

  afterAll(async () => {
    session?.close();
    await proxy?.close();
    await app?.close();
  });

  it('answers HEAD with the head alone, and the session serves the next request', async () => {
    const head = await exchange(session, { ':method': 'HEAD', ':path': '/head' });
    expect(head.headers[':status']).toBe(200);
    expect(head.headers['content-type']).toBe('application/json');
    expect(head.text).toBe('');
    const next = await exchange(session, { ':path': '/after-head' });
    expect((JSON.parse(next.text) as AppView).url).toBe('/after-head');
  });

  it('passes on a 204 without a body', async () => {
    const answer = await exchange(session, { ':path': '/status/204' });
    expect(answer.headers[':status']).toBe(204);
    expect(answer.text).toBe('');
  });

  it("passes on each of the app's Set-Cookie headers, and adds a date", async () => {
    const answer = await exchange(session, { ':path': '/cookies' });
    expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(answer.headers.date).toMatch(/GMT$/);
  });

  it('sends a body with content-length to the app with its length, not chunked', async () => {
    const answer = await exchange(
      session,
      { ':method': 'PUT', ':path': '/put', 'content-length': '5' },
      { text: 'hello' },
    );
    const view = JSON.parse(answer.text) as AppView;
    expect(view).toMatchObject({ method: 'PUT', body: 'hello' });
    expect(view.headers['content-length']).toBe('5');
    expect(view.headers['transfer-encoding']).toBeUndefined();
  });

  it('says 100 Continue at once to Expect: 100-continue, then forwards the body', async () => {
    const answer = await exchange(
      session,
      { ':method': 'POST', ':path': '/upload', expect: '100-continue' },
      { text: 'after continue', expectContinue: true },
    );
    expect(answer.headers[':status']).toBe(200);
    expect((JSON.parse(answer.text) as AppView).body).toBe('after continue');
  });

  it('answers any other expectation with 417', async () => {
    const answer = await exchange(session, { ':path': '/', expect: 'something-else' });
    expect(answer.headers[':status']).toBe(417);
  });
});
