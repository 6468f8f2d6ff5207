import Fastify, { type FastifyInstance } from 'fastify';
import type { AgentReport, JoinRequest } from '../../../shared/api/controller-api.ts';
import { verifyOperatorToken, bearerToken } from '../../../shared/auth/operator-token.ts';
import { isBerthError } from '../../../shared/errors.ts';
import type { PublicKey } from '../../../shared/keys/index.ts';
import { createSelfSignedCertificate } from '../../../shared/tls/self-signed-certificate.ts';
import { CONTROLLER_NAME } from './puller-fixtures.ts';

interface Answer {
  status: number;
  body: unknown;
}

/**
 * The agent-facing part of the controller contract (shared/api/controller-api.ts) over real
 * HTTPS with a self-signed certificate: poll, reports, join. Records what agents send.
 */
export class FakeController {
  readonly polls: { host: string; known: Record<string, number>; waitMs: number }[] = [];
  readonly reports: AgentReport[] = [];
  readonly joins: JoinRequest[] = [];
  /** Releases handed to a poll whose `known` is below their sequence (all, when ignoreKnown). */
  releases: string[] = [];
  ignoreKnown = false;
  /** Answer agent routes with this instead (a revoked host, a failing controller). */
  agentAnswer: Answer | null = null;
  joinAnswer: Answer | null = null;
  /** Agent tokens must verify against this key when set. */
  agentKey: PublicKey | null = null;
  /** Longest hold of an empty poll, whatever waitMs says: tests do not wait 30 s. */
  maxHoldMs = 100;
  heldPolls = 0;
  url = '';
  fingerprint = '';
  readonly #app: FastifyInstance;
  readonly #wakers = new Set<() => void>();

  private constructor(app: FastifyInstance) {
    this.#app = app;
  }

  static async start(): Promise<FakeController> {
    const certificate = await createSelfSignedCertificate({ commonName: 'fake controller' });
    const app = Fastify({ https: { key: certificate.keyPem, cert: certificate.certPem } });
    const controller = new FakeController(app as unknown as FastifyInstance);
    controller.#routes();
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    controller.url = `https://127.0.0.1:${address.port}`;
    controller.fingerprint = certificate.fingerprint;
    return controller;
  }

  publish(jws: string): void {
    this.releases.push(jws);
    for (const wake of this.#wakers) wake();
  }

  async close(): Promise<void> {
    for (const wake of this.#wakers) wake();
    await this.#app.close();
  }

  #routes(): void {
    const app = this.#app;
    app.post('/v1/join', async (request, reply) => {
      this.joins.push(request.body as JoinRequest);
      const answer = this.joinAnswer;
      if (answer) return reply.status(answer.status).send(answer.body);
      const { name } = request.body as JoinRequest;
      return { name, fleet: 'production', controllerName: CONTROLLER_NAME };
    });

    app.get('/v1/agents/:name/releases', async (request, reply) => {
      const { name } = request.params as { name: string };
      const refused = await this.#refuseAgent(name, request.headers.authorization);
      if (refused) return reply.status(refused.status).send(refused.body);
      const query = request.query as { known?: string; waitMs?: string };
      const known = JSON.parse(
        Buffer.from(query.known ?? '', 'base64url').toString('utf8') || '{}',
      ) as Record<string, number>;
      const waitMs = Number(query.waitMs);
      this.polls.push({ host: name, known, waitMs });
      let releases = this.#newerThan(known);
      if (releases.length === 0) {
        await this.#hold(Math.min(waitMs, this.maxHoldMs), reply.raw);
        releases = this.#newerThan(known);
      }
      return { releases };
    });

    app.post('/v1/agents/:name/reports', async (request, reply) => {
      const { name } = request.params as { name: string };
      const refused = await this.#refuseAgent(name, request.headers.authorization);
      if (refused) return reply.status(refused.status).send(refused.body);
      this.reports.push(request.body as AgentReport);
      return reply.status(204).send();
    });
  }

  async #refuseAgent(name: string, authorization: string | undefined): Promise<Answer | null> {
    if (this.agentAnswer) return this.agentAnswer;
    if (!this.agentKey) return null;
    try {
      const { subject } = await verifyOperatorToken(bearerToken(authorization), {
        trustedKeys: [this.agentKey],
        audience: CONTROLLER_NAME,
        now: new Date(),
      });
      if (subject !== name)
        return { status: 403, body: { code: 'AUTH_INVALID', message: 'not you' } };
      return null;
    } catch (error) {
      const message = isBerthError(error) ? error.message : 'bad token';
      return { status: 401, body: { code: 'AUTH_INVALID', message } };
    }
  }

  #newerThan(known: Record<string, number>): string[] {
    return this.releases.filter((jws) => {
      if (this.ignoreKnown) return true;
      const claim = claimOf(jws);
      return claim === null || claim.sequence > (known[claim.service] ?? -1);
    });
  }

  async #hold(ms: number, raw: NodeJS.EventEmitter): Promise<void> {
    this.heldPolls += 1;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wakers.delete(done);
        raw.removeListener('close', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakers.add(done);
      raw.once('close', done);
    });
    this.heldPolls -= 1;
  }
}

/** What a release says it is; null for something that is not a release at all (always handed out). */
function claimOf(jws: string): { service: string; sequence: number } | null {
  try {
    return JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      service: string;
      sequence: number;
    };
  } catch {
    return null;
  }
}
