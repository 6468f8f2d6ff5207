import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signOperatorToken } from '../../../shared/auth/operator-token.ts';
import type { AuditEntry } from '../../../shared/api/controller-api.ts';
import { generateSigningKey } from '../../../shared/keys/index.ts';
import { ControllerHarness, CONTROLLER_NAME, type AgentIdentity } from './controller-harness.ts';

let harness: ControllerHarness;
let app1: AgentIdentity;

beforeEach(async () => {
  harness = await ControllerHarness.create();
  app1 = await harness.joinedHost('app-1');
  await harness.joinedHost('app-2');
  await harness.publish(await harness.signedRelease(7, ['app-1', 'app-2']), 'carol');
});
afterEach(() => harness.close());

async function signIn(token?: string) {
  const operatorToken =
    token ??
    (await signOperatorToken(harness.operator, {
      audience: CONTROLLER_NAME,
      subject: 'carol',
      ttlSeconds: 600,
      now: harness.now(),
    }));
  return harness.app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: operatorToken }).toString(),
  });
}

async function sessionCookie(): Promise<string> {
  const response = await signIn();
  const setCookie = String(response.headers['set-cookie']);
  return setCookie.split(';')[0] ?? '';
}

/** Cell texts of each table row whose opening tag matches `attribute`. */
function rows(page: string, attribute: string): string[][] {
  const pattern = new RegExp(`<tr ${attribute}[^>]*>(.*?)</tr>`, 'gs');
  return [...page.matchAll(pattern)].map((match) =>
    [...(match[1] ?? '').matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((cell) =>
      (cell[1] ?? '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    ),
  );
}

describe('dashboard sign-in', () => {
  it('sends a visitor without a session to /login', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/login');
    const json = await harness.app.inject({ method: 'GET', url: '/dashboard.json' });
    expect(json.statusCode).toBe(401);
  });

  it('serves the sign-in form with a strict content security policy', async () => {
    const response = await harness.app.inject({ method: 'GET', url: '/login' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<form class="login" method="post" action="/login">');
    expect(response.headers['content-security-policy']).toMatch(
      /default-src 'none'; script-src 'nonce-/,
    );
    expect(response.headers['x-frame-options']).toBe('DENY');
  });

  it('sets an HttpOnly, Secure, SameSite=Strict session cookie for eight hours', async () => {
    const response = await signIn();
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/');
    const cookie = String(response.headers['set-cookie']);
    expect(cookie).toMatch(/^__Host-berth-session=[A-Za-z0-9_-]{43}; /);
    for (const attribute of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']) {
      expect(cookie).toContain(attribute);
    }
    const { entries } = (await harness.get('/v1/audit')).json<{ entries: AuditEntry[] }>();
    expect(entries[0]).toMatchObject({ actor: 'carol', action: 'dashboard.login' });
  });

  it('refuses a token from an untrusted key or for another controller, without a cookie', async () => {
    const stranger = await signOperatorToken(await generateSigningKey(), {
      audience: CONTROLLER_NAME,
      subject: 'mallory',
      now: harness.now(),
    });
    const otherAudience = await signOperatorToken(harness.operator, {
      audience: 'other',
      subject: 'carol',
      now: harness.now(),
    });
    for (const token of [stranger, otherAudience, '<b>junk</b>']) {
      const response = await signIn(token);
      expect(response.statusCode).toBe(401);
      expect(response.headers['set-cookie']).toBeUndefined();
      expect(response.body).toContain('That token was not accepted');
      expect(response.body).not.toContain(token);
    }
  });

  it('ends the session after eight hours, or at sign-out', async () => {
    const cookie = await sessionCookie();
    const ok = await harness.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(ok.statusCode).toBe(200);
    harness.advance(8 * 3_600_000);
    expect(
      (await harness.app.inject({ method: 'GET', url: '/', headers: { cookie } })).statusCode,
    ).toBe(302);

    const second = await sessionCookie();
    const out = await harness.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: second },
    });
    expect(out.statusCode).toBe(303);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect(
      (await harness.app.inject({ method: 'GET', url: '/', headers: { cookie: second } }))
        .statusCode,
    ).toBe(302);
  });
});

describe('dashboard page', () => {
  it('renders the fleet and release tables on the server, escaping what agents report', async () => {
    await harness.report(app1, {
      status: {
        services: [
          {
            service: 'shop',
            role: 'web',
            version: '<script>alert(1)</script>',
            sequence: 7,
            state: 'running',
            health: 'healthy',
            since: null,
            container: 'shop-web-7',
          },
        ],
        sequences: { shop: { live: 7, highest: 7 } },
      },
      progress: [{ service: 'shop', sequence: 7, state: 'done', error: null, events: [] }],
      refusals: [],
    });
    const cookie = await sessionCookie();
    const response = await harness.app.inject({ method: 'GET', url: '/', headers: { cookie } });
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    const page = response.body;
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(rows(page, 'data-host="app-1"')).toEqual([
      [
        'app-1',
        'active',
        'online',
        'just now',
        'fresh',
        'shop',
        'web',
        '&lt;script&gt;alert(1)&lt;/script&gt;',
        'healthy',
        'done #7',
      ],
    ]);
    expect(rows(page, 'data-host="app-2"')).toEqual([
      ['app-2', 'active', 'offline', 'never', 'stale', 'shop', '—', '—', '—', 'pending #7'],
    ]);
    expect(rows(page, 'data-release="shop#7"')).toEqual([
      ['shop', '#7', 'v7', 'carol', 'just now', 'ci@acme', 'app-1: done app-2: pending'],
    ]);
    const nonce = /script-src 'nonce-([^']+)'/.exec(
      String(response.headers['content-security-policy']),
    )?.[1];
    expect(page).toContain(`<script nonce="${nonce}">`);
  });

  it('marks a canary beside the live version', async () => {
    const role = {
      service: 'shop',
      role: 'web',
      state: 'running',
      health: 'healthy',
      since: null,
    } as const;
    await harness.report(app1, {
      status: {
        services: [
          { ...role, version: 'v7', sequence: 7, container: 'shop-web-7' },
          { ...role, version: 'v8', sequence: 8, container: 'shop-web-8', canaryPercent: 10 },
        ],
        sequences: { shop: { live: 7, highest: 8 } },
      },
      progress: [],
      refusals: [],
    });
    const cookie = await sessionCookie();
    const page = (await harness.app.inject({ method: 'GET', url: '/', headers: { cookie } })).body;
    const versions = rows(page, 'data-host="app-1"').map((row) => row[7]);
    expect(versions).toEqual(['v7', 'v8 canary 10%']);
  });

  it('serves the same tables as JSON plus fragments for the 3 s refresh', async () => {
    const cookie = await sessionCookie();
    const response = await harness.app.inject({
      method: 'GET',
      url: '/dashboard.json',
      headers: { cookie },
    });
    const data = response.json<{
      fleet: { hosts: { name: string }[] };
      releases: { publishedBy: string; jws?: string }[];
      html: { fleet: string; releases: string };
    }>();
    expect(data.fleet.hosts.map((host) => host.name)).toEqual(['app-1', 'app-2']);
    expect(data.releases[0]?.publishedBy).toBe('carol');
    expect(data.releases[0]?.jws).toBeUndefined();
    expect(data.html.fleet).toContain('<tr data-host="app-1"');
    expect(data.html.releases).toContain('data-release="shop#7"');
  });
});
