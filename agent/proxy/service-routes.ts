import { BerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ServiceRoute, SwitchServiceRequest, SwitchServiceResult } from './admin-protocol.ts';
import { parseServiceRoute } from './admin-schema.ts';
import { findRouteConflict, RouteTable } from './route-table.ts';
import { readStateFile, writeStateFile } from './state-file.ts';
import type { Upstream } from './upstream.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';

/**
 * The services the proxy routes, persisted to the state file. Changes run one at a time: each
 * builds the next table, saves it, then swaps `table` in one assignment. A failed save keeps
 * the old configuration.
 */
export class ServiceRoutes {
  table: RouteTable<Upstream>;
  #byName = new Map<string, ServiceRoute>();
  #pending: Promise<unknown> = Promise.resolve();
  readonly #upstreams: UpstreamRegistry;
  readonly #statePath: string;
  readonly #logger: Logger;

  constructor(upstreams: UpstreamRegistry, statePath: string, logger: Logger) {
    this.#upstreams = upstreams;
    this.#statePath = statePath;
    this.#logger = logger;
    this.table = new RouteTable<Upstream>([], () => null);
  }

  list(): ServiceRoute[] {
    return [...this.#byName.values()].sort((a, b) => a.service.localeCompare(b.service));
  }

  switch(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult> {
    return this.#exclusively(async () => {
      const route: ServiceRoute = { service: name, ...request };
      const conflict = findRouteConflict(this.#byName.values(), route);
      if (conflict !== undefined) {
        const host = conflict.host === '' ? 'every host (catch-all)' : `host ${conflict.host}`;
        throw new BerthError(
          'PROXY_ROUTE_CONFLICT',
          `service "${conflict.service}" already routes ${host} at path ${conflict.pathPrefix}`,
        );
      }
      const previous = this.#byName.get(name);
      const next = new Map(this.#byName).set(name, route);
      await this.#save(next);
      this.#install(next);
      this.#logger.info(
        { service: name, target: route.target, previousTarget: previous?.target ?? null },
        'service switched',
      );
      return {
        previousTarget: previous === undefined || previous.target === '' ? null : previous.target,
      };
    });
  }

  remove(name: string): Promise<boolean> {
    return this.#exclusively(async () => {
      if (!this.#byName.has(name)) return false;
      const next = new Map(this.#byName);
      next.delete(name);
      await this.#save(next);
      this.#install(next);
      this.#logger.info({ service: name }, 'service removed');
      return true;
    });
  }

  /** Loads the state file; an entry that fails validation or conflicts is skipped and logged. */
  async restore(): Promise<void> {
    const contents = await readStateFile(this.#statePath);
    if (contents.kind === 'missing') return;
    if (contents.kind === 'unreadable') {
      this.#logger.error(
        { statePath: this.#statePath, problem: contents.problem },
        'state file unreadable; starting with no services',
      );
      return;
    }
    const restored = new Map<string, ServiceRoute>();
    contents.entries.forEach((entry, index) => {
      const problem = this.#restoreEntry(restored, entry);
      if (problem !== undefined) {
        this.#logger.warn({ statePath: this.#statePath, index, problem }, 'state entry skipped');
      }
    });
    this.#install(restored);
    this.#logger.info({ services: restored.size }, 'routes restored');
  }

  #restoreEntry(restored: Map<string, ServiceRoute>, entry: unknown): string | undefined {
    const parsed = parseServiceRoute(entry);
    if (!parsed.ok) return parsed.problem;
    const route = parsed.value;
    if (restored.has(route.service)) return `duplicate service "${route.service}"`;
    const conflict = findRouteConflict(restored.values(), route);
    if (conflict !== undefined) {
      return `service "${route.service}" conflicts with "${conflict.service}" at ${conflict.host || '*'}${conflict.pathPrefix}`;
    }
    restored.set(route.service, route);
    return undefined;
  }

  async #save(next: Map<string, ServiceRoute>): Promise<void> {
    try {
      await writeStateFile(this.#statePath, [...next.values()]);
    } catch (error) {
      throw new BerthError('INTERNAL', `could not save the routing table to ${this.#statePath}`, {
        cause: error,
      });
    }
  }

  #install(next: Map<string, ServiceRoute>): void {
    const targets = new Set<string>();
    const table = new RouteTable(next.values(), (target) => {
      targets.add(target);
      return this.#upstreams.acquire(target);
    });
    this.table = table;
    this.#byName = next;
    this.#upstreams.retainOnly(targets);
  }

  #exclusively<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#pending.then(change);
    this.#pending = result.catch(() => undefined);
    return result;
  }
}
