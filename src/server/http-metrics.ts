/**
 * HTTP request counters and latency histograms in Prometheus text format, kept per process.
 *
 * `/metrics` renders these followed by every extra source registered with `addSource` (the observe
 * feature's registry plugs in there), so the server owns the endpoint without owning every metric.
 */
export type MetricsSource = () => string | Promise<string>;

const bucketsSeconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

export class HttpMetrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly sources: MetricsSource[] = [];
  private inFlight = 0;

  /** `route` is the route pattern (`/v1/keys/:id`), never the raw path, to keep label cardinality bounded. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `method="${method}",route="${escapeLabel(route)}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const hKey = `method="${method}",route="${escapeLabel(route)}"`;
    let histogram = this.durations.get(hKey);
    if (!histogram) {
      histogram = { counts: bucketsSeconds.map(() => 0), sum: 0, count: 0 };
      this.durations.set(hKey, histogram);
    }
    for (let i = 0; i < bucketsSeconds.length; i++)
      if (seconds <= (bucketsSeconds[i] as number)) histogram.counts[i] = (histogram.counts[i] ?? 0) + 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }

  started(): void {
    this.inFlight += 1;
  }

  finished(): void {
    this.inFlight -= 1;
  }

  addSource(source: MetricsSource): void {
    this.sources.push(source);
  }

  async render(): Promise<string> {
    const lines: string[] = [
      '# HELP groundwork_http_requests_total HTTP requests by method, route pattern and status.',
      '# TYPE groundwork_http_requests_total counter',
    ];
    for (const [labels, value] of this.requests) lines.push(`groundwork_http_requests_total{${labels}} ${value}`);
    lines.push(
      '# HELP groundwork_http_request_duration_seconds HTTP request duration until the response head is ready.',
      '# TYPE groundwork_http_request_duration_seconds histogram',
    );
    for (const [labels, histogram] of this.durations) {
      bucketsSeconds.forEach((le, i) => {
        lines.push(`groundwork_http_request_duration_seconds_bucket{${labels},le="${le}"} ${histogram.counts[i] ?? 0}`);
      });
      lines.push(`groundwork_http_request_duration_seconds_bucket{${labels},le="+Inf"} ${histogram.count}`);
      lines.push(`groundwork_http_request_duration_seconds_sum{${labels}} ${histogram.sum}`);
      lines.push(`groundwork_http_request_duration_seconds_count{${labels}} ${histogram.count}`);
    }
    lines.push(
      '# HELP groundwork_http_requests_in_flight HTTP requests being handled.',
      '# TYPE groundwork_http_requests_in_flight gauge',
      `groundwork_http_requests_in_flight ${this.inFlight}`,
    );
    let text = `${lines.join('\n')}\n`;
    for (const source of this.sources) {
      const extra = await source();
      if (extra) text += extra.endsWith('\n') ? extra : `${extra}\n`;
    }
    return text;
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
