import { BerthError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { SwitchServiceRequest, SwitchServiceResult } from './admin-protocol.ts';
import { parseServiceRoute } from './admin-schema.ts';
import { findRouteConflict, RouteTable } from './route-table.ts';
import { readStateFile, writeStateFile } from './state-file.ts';
import type { ServiceState } from './admin-protocol.ts';
import { parseServiceControls } from './admin-schema.ts';
import { canarySplit } from './canary-split.ts';
import { loadErrorPages } from './error-page-dir.ts';
import type { CustomErrorPages, ProxyErrorStatus } from './error-pages.ts';
import { PauseGate } from './pause-gate.ts';
import { ProxyMetrics } from './proxy-metrics.ts';
import { controlsOf } from './service-controls.ts';
import type { LoggedHeaders, ServicePolicy } from './service-policy.ts';
import type { Upstream } from './upstream.ts';
import type { UpstreamRegistry } from './upstream-registry.ts';

/** A service's custom error pages and the directory they were read from. */
interface LoadedPages {
  dir: string;
  pages: CustomErrorPages;
}

/**
 * The services the proxy routes, persisted to the state file. Changes run one at a time: each
 * builds the next table, saves it, then swaps `table` in one assignment. A failed save keeps
 * the old configuration.
 */
export class ServiceRoutes {
  table: RouteTable<Upstream>;
  /** Per-service controls and limits for the traffic path; replaced together with `table`. */
  policies: ReadonlyMap<string, ServicePolicy> = new Map();
  readonly metrics = new ProxyMetrics();
  #byName = new Map<string, ServiceState>();
  /** Outlive a single table: requests held by a pause stay held across a switch. */
  readonly #pauseGates = new Map<string, PauseGate>();
  readonly #errorPages = new Map<string, LoadedPages>();
  #pending: Promise<unknown> = Promise.resolve();
  readonly #upstreams: UpstreamRegistry;
  readonly #statePath: string;
  readonly #logger: Logger;
  readonly #isReadOnly: boolean;

  /** `readOnly`: a replica reads the state file its primary keeps, and never writes it. */
  constructor(
    upstreams: UpstreamRegistry,
    statePath: string,
    logger: Logger,
    options: { readOnly?: boolean } = {},
  ) {
    this.#upstreams = upstreams;
    this.#statePath = statePath;
    this.#logger = logger;
    this.#isReadOnly = options.readOnly === true;
    this.table = new RouteTable<Upstream>([], () => null);
  }

  /** Every service, without inline error pages (they stay in the state file). */
  list(): ServiceState[] {
    return [...this.#byName.values()]
      .map(({ errorPages: _pages, ...listed }) => listed)
      .sort((a, b) => a.service.localeCompare(b.service));
  }

  switch(name: string, request: SwitchServiceRequest): Promise<SwitchServiceResult> {
    return this.#exclusively(async () => {
      const route: ServiceState = {
        ...controlsOf(this.#byName.get(name)),
        service: name,
        ...request,
      };
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
      const errorPages = await this.#errorPagesFor(name, route);
      await this.#save(next);
      this.#setErrorPages(name, errorPages);
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
      this.#setErrorPages(name, undefined);
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
    const restored = new Map<string, ServiceState>();
    contents.entries.forEach((entry, index) => {
      const problem = this.#restoreEntry(restored, entry);
      if (problem !== undefined) {
        this.#logger.warn({ statePath: this.#statePath, index, problem }, 'state entry skipped');
      }
    });
    for (const state of restored.values()) {
      const errorPages = await this.#errorPagesFor(state.service, state).catch((error: unknown) => {
        this.#logger.warn({ service: state.service, err: error }, 'error pages not loaded');
        return undefined;
      });
      this.#setErrorPages(state.service, errorPages);
    }
    this.#install(restored);
    this.#logger.info({ services: restored.size }, 'routes restored');
  }

  #restoreEntry(restored: Map<string, ServiceState>, entry: unknown): string | undefined {
    const parsed = parseServiceRoute(entry);
    if (!parsed.ok) return parsed.problem;
    const controls = parseServiceControls(entry);
    if (!controls.ok) {
      this.#logger.warn(
        { entry: parsed.value.service, problem: controls.problem },
        'controls dropped',
      );
    }
    const route: ServiceState = { ...parsed.value, ...(controls.ok ? controls.value : {}) };
    if (restored.has(route.service)) return `duplicate service "${route.service}"`;
    const conflict = findRouteConflict(restored.values(), route);
    if (conflict !== undefined) {
      return `service "${route.service}" conflicts with "${conflict.service}" at ${conflict.host || '*'}${conflict.pathPrefix}`;
    }
    restored.set(route.service, route);
    return undefined;
  }

  async #save(next: Map<string, ServiceState>): Promise<void> {
    if (this.#isReadOnly) return;
    try {
      await writeStateFile(this.#statePath, [...next.values()]);
    } catch (error) {
      throw new BerthError('INTERNAL', `could not save the routing table to ${this.#statePath}`, {
        cause: error,
      });
    }
  }

  #install(next: Map<string, ServiceState>): void {
    const targets = new Set<string>();
    const acquire = (target: string): Upstream => {
      targets.add(target);
      return this.#upstreams.acquire(target);
    };
    const table = new RouteTable(next.values(), acquire);
    const policies = new Map(
      [...next.values()].map((state) => [state.service, this.#policyFor(state, acquire)]),
    );
    this.table = table;
    this.policies = policies;
    this.#byName = next;
    this.#releaseUnpaused(next);
    this.#upstreams.retainOnly(targets);
  }

  /**
   * Applies an operator control change (see service-controls.ts) to one service: saved, then
   * installed. Returns the state before and after; NOT_FOUND for an unknown service.
   */
  update(
    name: string,
    change: (state: ServiceState) => ServiceState,
  ): Promise<{ before: ServiceState; after: ServiceState }> {
    return this.#exclusively(async () => {
      const before = this.#byName.get(name);
      if (before === undefined) {
        throw new BerthError('NOT_FOUND', `the proxy has no service "${name}"`);
      }
      const after = change(before);
      const next = new Map(this.#byName).set(name, after);
      await this.#save(next);
      this.#install(next);
      this.#logger.info({ service: name, ...controlsOf(after) }, 'service controls changed');
      return { before, after };
    });
  }

  #policyFor(state: ServiceState, acquire: (target: string) => Upstream): ServicePolicy {
    let pause: PauseGate | undefined;
    if (state.pause !== undefined) {
      pause = this.#pauseGates.get(state.service) ?? new PauseGate(state.pause.maxPauseMs);
      pause.maxPauseMs = state.pause.maxPauseMs;
      this.#pauseGates.set(state.service, pause);
    }
    const { canary } = state;
    return {
      healthCheckPath: state.healthCheckPath,
      maxRequestBodyBytes: state.maxRequestBodyBytes ?? 0,
      errorPages: this.#errorPages.get(state.service)?.pages,
      maintenanceMessage: state.maintenance?.message,
      pause,
      canary:
        canary === undefined ? undefined : canarySplit(acquire(canary.target), canary.percent),
      requestBuffering: state.requestBuffering,
      forwardHeaders: state.forwardHeaders,
      terminatesTls: state.tls !== undefined && state.tls.mode !== 'off',
      loggedHeaders: loggedHeadersOf(state),
      metrics: this.metrics.forService(state.service),
    };
  }

  /** Lets held requests of services no longer paused go on, now that the new policies apply. */
  #releaseUnpaused(next: Map<string, ServiceState>): void {
    for (const [service, gate] of [...this.#pauseGates]) {
      if (next.get(service)?.pause !== undefined) continue;
      this.#pauseGates.delete(service);
      gate.release();
    }
  }

  async #errorPagesFor(service: string, route: ServiceState): Promise<LoadedPages | undefined> {
    if (route.errorPages !== undefined) {
      const pages = new Map<ProxyErrorStatus, string>();
      for (const [status, page] of Object.entries(route.errorPages)) {
        if (page !== undefined) pages.set(Number(status) as ProxyErrorStatus, page);
      }
      return { dir: '', pages };
    }
    const dir = route.errorPagesDir;
    if (dir === undefined) return undefined;
    const loaded = this.#errorPages.get(service);
    if (loaded?.dir === dir) return loaded;
    return { dir, pages: await loadErrorPages(dir) };
  }

  #setErrorPages(service: string, loaded: LoadedPages | undefined): void {
    if (loaded === undefined) this.#errorPages.delete(service);
    else this.#errorPages.set(service, loaded);
  }

  #exclusively<T>(change: () => Promise<T>): Promise<T> {
    const result = this.#pending.then(change);
    this.#pending = result.catch(() => undefined);
    return result;
  }
}

function loggedHeadersOf(state: ServiceState): LoggedHeaders | undefined {
  const request = (state.logRequestHeaders ?? []).map((name) => name.toLowerCase());
  const response = (state.logResponseHeaders ?? []).map((name) => name.toLowerCase());
  return request.length === 0 && response.length === 0 ? undefined : { request, response };
}
