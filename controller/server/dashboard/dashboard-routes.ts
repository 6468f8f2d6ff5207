import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BerthError, isBerthError } from '../../../shared/errors.ts';
import { verifyOperator } from '../auth/require-operator.ts';
import { currentFleet } from '../routes/fleet.ts';
import { historyEntry } from '../routes/releases.ts';
import type { ControllerServerDeps } from '../server-deps.ts';
import { dashboardPage } from './dashboard-page.ts';
import { fleetTable, releasesTable, type DashboardData } from './dashboard-view.ts';
import { loginPage } from './login-page.ts';
import { pageHeaders } from './page-frame.ts';
import {
  clearedSessionCookie,
  cookieValue,
  SESSION_COOKIE,
  sessionCookie,
} from './session-cookie.ts';

const RECENT_RELEASES = 20;
const LOGIN_BODY_LIMIT_BYTES = 16 * 1024;

function dashboardData(deps: ControllerServerDeps): DashboardData {
  return {
    controller: deps.settings.name,
    generatedAt: deps.now().toISOString(),
    fleet: currentFleet(deps),
    deploys: deps.store.progress.latestStates(),
    releases: deps.store.releases
      .list(null, RECENT_RELEASES)
      .map((release) => historyEntry(deps, release))
      .map(({ jws: _jws, ...summary }) => summary),
  };
}

function sendPage(reply: FastifyReply, status: number, render: (nonce: string) => string) {
  const nonce = randomBytes(16).toString('base64');
  return reply.status(status).headers(pageHeaders(nonce)).send(render(nonce));
}

/** The web dashboard: sign in with an operator token, then a session cookie for eight hours. */
export function dashboardRoutes(deps: ControllerServerDeps) {
  const sessionOperator = (request: FastifyRequest): string | null =>
    deps.sessions.operatorOf(cookieValue(request.headers.cookie, SESSION_COOKIE));

  return async (app: FastifyInstance): Promise<void> => {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: LOGIN_BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );

    app.get('/', async (request, reply) => {
      const operator = sessionOperator(request);
      if (!operator) return reply.redirect('/login', 302);
      const now = deps.now();
      return sendPage(reply, 200, (nonce) =>
        dashboardPage(dashboardData(deps), operator, nonce, now),
      );
    });

    app.get('/dashboard.json', async (request) => {
      if (!sessionOperator(request)) {
        throw new BerthError('AUTH_REQUIRED', 'sign in to the dashboard first (/login)');
      }
      const data = dashboardData(deps);
      const now = deps.now();
      return {
        ...data,
        html: { fleet: fleetTable(data, now).text, releases: releasesTable(data, now).text },
      };
    });

    app.get('/login', async (_request, reply) =>
      sendPage(reply, 200, (nonce) => loginPage(deps.settings.name, nonce)),
    );

    app.post('/login', async (request, reply) => {
      const body = request.body as { token?: unknown } | undefined;
      const token = typeof body?.token === 'string' ? body.token.trim() : undefined;
      let operator: string;
      try {
        operator = await verifyOperator(deps, token);
      } catch (error) {
        if (!isBerthError(error)) throw error;
        request.log.info({ code: error.code }, 'dashboard sign-in refused');
        const problem = `That token was not accepted: ${error.message}.`;
        return sendPage(reply, 401, (nonce) => loginPage(deps.settings.name, nonce, problem));
      }
      const session = deps.sessions.open(operator);
      deps.store.audit.append(operator, 'dashboard.login', 'signed in to the dashboard');
      return reply
        .header('set-cookie', sessionCookie(session.id, session.maxAgeSeconds))
        .redirect('/', 303);
    });

    app.post('/logout', async (request, reply) => {
      deps.sessions.close(cookieValue(request.headers.cookie, SESSION_COOKIE));
      return reply.header('set-cookie', clearedSessionCookie()).redirect('/login', 303);
    });
  };
}
