/**
 * A small Prometheus metrics registry (text exposition format 0.0.4): counters, gauges and histograms with
 * labels, plus async collectors that refresh gauges from the store at scrape time.
 *
 * Hand-rolled on purpose: the exposition format is a page of text and a client library would be the largest
 * dependency of this feature. Label sets are bounded by their sources (use cases, models, sources, outcomes),
 * never by request ids or users — keep it that way, every label combination is a time series.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Counter {
  inc(labels?: Labels, value?: number): void;
  /** Current value for a label set (tests, reports). */
  get(labels?: Labels): number;
}

export interface Gauge {
  set(labels: Labels, value: number): void;
  inc(labels?: Labels, value?: number): void;
  get(labels?: Labels): number;
  /** Forgets every label set (a collector then sets the current ones). */
  reset(): void;
}

export interface Histogram {
  /** Records one observation (seconds for durations). */
  observe(labels: Labels, value: number): void;
  count(labels?: Labels): number;
}

export interface MetricsRegistry {
  counter(name: string, help: string, labelNames?: readonly string[]): Counter;
  gauge(name: string, help: string, labelNames?: readonly string[]): Gauge;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: readonly number[]): Histogram;
  /** Runs before every render, e.g. to read queue depth or ingestion lag from the store. Failures are ignored. */
  addCollector(collect: () => Promise<void>): void;
  /** The exposition text (`Content-Type: text/plain; version=0.0.4`). */
  render(): Promise<string>;
}

/** Seconds: 5 ms … 60 s, enough resolution for retrieval (ms) and generation (s). */
export const defaultLatencyBuckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly labelNames: readonly string[];
  render(): string[];
}

export function createMetricsRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const collectors: Array<() => Promise<void>> = [];

  const keyOf = (labelNames: readonly string[], labels: Labels | undefined): string =>
    JSON.stringify(labelNames.map((name) => labels?.[name] ?? ''));
  const labelText = (labelNames: readonly string[], key: string, extra?: [string, string]): string => {
    const values = JSON.parse(key) as string[];
    const pairs = labelNames.map((name, i) => `${name}="${escapeLabel(values[i] ?? '')}"`);
    if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return pairs.length > 0 ? `{${pairs.join(',')}}` : '';
  };
  const register = <F extends Family>(family: F): F => {
    if (!metricName.test(family.name)) throw new Error(`Invalid metric name ${family.name}`);
    for (const name of family.labelNames) if (!labelName.test(name)) throw new Error(`Invalid label name ${name}`);
    const existing = families.get(family.name);
    if (existing) {
      if (existing.type !== family.type) throw new Error(`Metric ${family.name} is already a ${existing.type}`);
      return existing as F;
    }
    families.set(family.name, family);
    return family;
  };

  const valueFamily = (type: 'counter' | 'gauge', name: string, help: string, labelNames: readonly string[]) => {
    const values = new Map<string, number>();
    return {
      name,
      help,
      type,
      labelNames,
      values,
      render: () => [...values].map(([key, value]) => `${name}${labelText(labelNames, key)} ${formatNumber(value)}`),
    };
  };

  return {
    counter(name, help, labelNames = []) {
      const family = register(valueFamily('counter', name, help, labelNames));
      return {
        inc(labels, value = 1) {
          if (!(value >= 0)) return;
          const key = keyOf(family.labelNames, labels);
          family.values.set(key, (family.values.get(key) ?? 0) + value);
        },
        get: (labels) => family.values.get(keyOf(family.labelNames, labels)) ?? 0,
      };
    },
    gauge(name, help, labelNames = []) {
      const family = register(valueFamily('gauge', name, help, labelNames));
      return {
        set(labels, value) {
          family.values.set(keyOf(family.labelNames, labels), value);
        },
        inc(labels, value = 1) {
          const key = keyOf(family.labelNames, labels);
          family.values.set(key, (family.values.get(key) ?? 0) + value);
        },
        get: (labels) => family.values.get(keyOf(family.labelNames, labels)) ?? 0,
        reset: () => family.values.clear(),
      };
    },
    histogram(name, help, labelNames = [], buckets = defaultLatencyBuckets) {
      const sorted = [...buckets].sort((a, b) => a - b);
      const series = new Map<string, { counts: number[]; sum: number; count: number }>();
      const family = register({
        name,
        help,
        type: 'histogram' as const,
        labelNames,
        series,
        render: () => {
          const lines: string[] = [];
          for (const [key, entry] of series) {
            let cumulative = 0;
            sorted.forEach((bound, i) => {
              cumulative += entry.counts[i] ?? 0;
              lines.push(`${name}_bucket${labelText(labelNames, key, ['le', formatNumber(bound)])} ${cumulative}`);
            });
            lines.push(`${name}_bucket${labelText(labelNames, key, ['le', '+Inf'])} ${entry.count}`);
            lines.push(`${name}_sum${labelText(labelNames, key)} ${formatNumber(entry.sum)}`);
            lines.push(`${name}_count${labelText(labelNames, key)} ${entry.count}`);
          }
          return lines;
        },
      });
      return {
        observe(labels, value) {
          if (!Number.isFinite(value)) return;
          const key = keyOf(family.labelNames, labels);
          let entry = family.series.get(key);
          if (!entry) {
            entry = { counts: sorted.map(() => 0), sum: 0, count: 0 };
            family.series.set(key, entry);
          }
          const index = sorted.findIndex((bound) => value <= bound);
          if (index >= 0) entry.counts[index] = (entry.counts[index] ?? 0) + 1;
          entry.sum += value;
          entry.count += 1;
        },
        count: (labels) => family.series.get(keyOf(family.labelNames, labels))?.count ?? 0,
      };
    },
    addCollector(collect) {
      collectors.push(collect);
    },
    async render() {
      await Promise.all(collectors.map((collect) => collect().catch(() => {})));
      const out: string[] = [];
      for (const family of families.values()) {
        out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
        out.push(`# TYPE ${family.name} ${family.type}`);
        out.push(...family.render());
      }
      return `${out.join('\n')}\n`;
    },
  };
}
