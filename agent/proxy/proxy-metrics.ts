/** Upper bounds of the latency histogram, in seconds (Prometheus' default buckets). */
const durationBucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const statusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Why a request to the app failed: no connection, no answer in time, or a dropped one. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'other';

/** The label used for requests no service routes. */
export const unroutedService = '(unrouted)';

/** One service's counters. Plain numbers: they only change on the event loop. */
export class ServiceMetrics {
  readonly service: string;
  inFlight = 0;
  readonly #byStatusClass = [0, 0, 0, 0, 0];
  readonly #bucketCounts = durationBucketsSeconds.map(() => 0);
  #durationSumSeconds = 0;
  #count = 0;
  readonly #upstreamErrors = new Map<UpstreamErrorKind, number>();

  constructor(service: string) {
    this.service = service;
  }

  begin(): void {
    this.inFlight += 1;
  }

  end(status: number, durationSeconds: number): void {
    this.inFlight -= 1;
    const statusClass = Math.floor(status / 100) - 1;
    if (statusClass >= 0 && statusClass < statusClasses.length) {
      this.#byStatusClass[statusClass] = (this.#byStatusClass[statusClass] ?? 0) + 1;
    }
    const bucket = durationBucketsSeconds.findIndex((bound) => durationSeconds <= bound);
    if (bucket !== -1) this.#bucketCounts[bucket] = (this.#bucketCounts[bucket] ?? 0) + 1;
    this.#durationSumSeconds += durationSeconds;
    this.#count += 1;
  }

  upstreamError(kind: UpstreamErrorKind): void {
    this.#upstreamErrors.set(kind, (this.#upstreamErrors.get(kind) ?? 0) + 1);
  }

  /** Appends this service's samples to each metric's lines. */
  collect(lines: MetricLines): void {
    const service = `service="${escapeLabel(this.service)}"`;
    statusClasses.forEach((name, index) => {
      const count = this.#byStatusClass[index] ?? 0;
      if (count > 0) lines.requests.push(`{${service},status_class="${name}"} ${count}`);
    });
    let cumulative = 0;
    durationBucketsSeconds.forEach((bound, index) => {
      cumulative += this.#bucketCounts[index] ?? 0;
      lines.duration.push(`_bucket{${service},le="${bound}"} ${cumulative}`);
    });
    lines.duration.push(
      `_bucket{${service},le="+Inf"} ${this.#count}`,
      `_sum{${service}} ${this.#durationSumSeconds}`,
      `_count{${service}} ${this.#count}`,
    );
    for (const [kind, count] of [...this.#upstreamErrors].sort()) {
      lines.upstreamErrors.push(`{${service},kind="${kind}"} ${count}`);
    }
    lines.inFlight.push(`{${service}} ${this.inFlight}`);
  }
}

interface MetricLines {
  requests: string[];
  duration: string[];
  upstreamErrors: string[];
  inFlight: string[];
}

/** The proxy's Prometheus metrics, per service, rendered in the text exposition format. */
export class ProxyMetrics {
  readonly #byService = new Map<string, ServiceMetrics>();

  forService(service: string): ServiceMetrics {
    let metrics = this.#byService.get(service);
    if (metrics === undefined) {
      metrics = new ServiceMetrics(service);
      this.#byService.set(service, metrics);
    }
    return metrics;
  }

  render(): string {
    const lines: MetricLines = { requests: [], duration: [], upstreamErrors: [], inFlight: [] };
    const services = [...this.#byService.values()].sort((a, b) =>
      a.service.localeCompare(b.service),
    );
    for (const metrics of services) metrics.collect(lines);
    return [
      ...family(
        'berth_proxy_requests_total',
        'counter',
        'Requests answered, by service and status class.',
        lines.requests,
      ),
      ...family(
        'berth_proxy_request_duration_seconds',
        'histogram',
        'Time from request to the end of the response, by service.',
        lines.duration,
      ),
      ...family(
        'berth_proxy_upstream_errors_total',
        'counter',
        'Requests the app failed to answer, by service and kind.',
        lines.upstreamErrors,
      ),
      ...family(
        'berth_proxy_in_flight_requests',
        'gauge',
        'Requests being answered now, by service.',
        lines.inFlight,
      ),
      '',
    ].join('\n');
  }
}

function family(name: string, type: string, help: string, samples: string[]): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples.map((s) => name + s)];
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`));
}
