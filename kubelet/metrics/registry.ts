/**
 * A small Prometheus metrics registry, as component-base's registry behaves for the kubelet's own
 * metrics: counters, gauges and histograms, plain or as vectors over label names, rendered in the
 * text format 0.0.4 (families by name, series by label values, `_bucket{le}`/`_sum`/`_count`).
 * Updating a metric is a field increment; a vector's child is created once per label set and can be
 * kept by the caller so that hot paths never look it up again. Pure: no clock, no I/O.
 */
import { escapeHelp, escapeLabel, formatGoFloat } from "./prometheusText.ts";

/** component-base's stability levels; the HELP text carries them as "[ALPHA] ". None = a raw collector. */
export type StabilityLevel = "ALPHA" | "STABLE";

/** What every metric is declared with. */
export interface MetricOpts {
  name: string;
  help: string;
  stabilityLevel?: StabilityLevel;
}

/** client_golang's DefBuckets (seconds). */
export const DEF_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** client_golang's ExponentialBuckets: `count` bounds from `start`, each `factor` times the last. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0, b = start; i < count; i++, b *= factor) out.push(b);
  return out;
}

/** A value that only goes up. */
export class Counter {
  value = 0;
  inc(): void {
    this.value++;
  }
  add(n: number): void {
    if (n < 0) throw new Error("counter cannot decrease in value");
    this.value += n;
  }
}

/** A value that goes up and down. */
export class Gauge {
  value = 0;
  set(v: number): void {
    this.value = v;
  }
  inc(): void {
    this.value++;
  }
  dec(): void {
    this.value--;
  }
}

/** Observations counted into fixed buckets, with their sum and count. */
export class Histogram {
  /** Per-bucket (not cumulative) counts; cumulated when rendered. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly buckets: readonly number[]) {
    this.counts = new Float64Array(buckets.length);
  }
  observe(v: number): void {
    const b = this.buckets;
    // First bound >= v (client_golang's sort.SearchFloat64s); none means only +Inf.
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

type Kind = "counter" | "gauge" | "histogram";
type Child = Counter | Gauge | Histogram;

/** A metric family over label names; `labels(...)` returns the child of one label set (created on first use). */
export class MetricVec<C extends Child> {
  readonly children = new Map<string, { values: readonly string[]; child: C }>();
  constructor(readonly labelNames: readonly string[], private readonly make: () => C) {}

  /** The child for these label values, in `labelNames` order. */
  labels(...values: string[]): C {
    if (values.length !== this.labelNames.length) {
      throw new Error(`expected ${this.labelNames.length} label values (${this.labelNames.join(", ")}), got ${values.length}`);
    }
    const key = values.length === 1 ? values[0]! : values.join("\u0000");
    let entry = this.children.get(key);
    if (!entry) {
      entry = { values, child: this.make() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops every child (a gauge vector recomputed at scrape time). */
  reset(): void {
    this.children.clear();
  }
}

interface Family {
  opts: MetricOpts;
  kind: Kind;
  /** A plain metric (always rendered) or a vector (rendered once it has children). */
  metric: Child | MetricVec<Child>;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Holds metric families and renders them; `onCollect` hooks refresh scrape-time values first. */
export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void | Promise<void>)[] = [];

  counter(opts: MetricOpts): Counter {
    return this.add(opts, "counter", new Counter());
  }
  gauge(opts: MetricOpts): Gauge {
    return this.add(opts, "gauge", new Gauge());
  }
  histogram(opts: MetricOpts & { buckets?: readonly number[] }): Histogram {
    return this.add(opts, "histogram", new Histogram(checkBuckets(opts)));
  }
  counterVec(opts: MetricOpts, labelNames: readonly string[]): MetricVec<Counter> {
    return this.add(opts, "counter", new MetricVec(labelNames, () => new Counter()));
  }
  gaugeVec(opts: MetricOpts, labelNames: readonly string[]): MetricVec<Gauge> {
    return this.add(opts, "gauge", new MetricVec(labelNames, () => new Gauge()));
  }
  histogramVec(opts: MetricOpts & { buckets?: readonly number[] }, labelNames: readonly string[]): MetricVec<Histogram> {
    const buckets = checkBuckets(opts);
    return this.add(opts, "histogram", new MetricVec(labelNames, () => new Histogram(buckets)));
  }

  /** Runs `fn` before every scrape (gauges computed from current state, process facts). */
  onCollect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  /** Runs the collect hooks (a failing hook leaves its metrics as they were), then renders. */
  async scrape(): Promise<string> {
    await Promise.all(this.collectors.map(async (fn) => {
      try {
        await fn();
      } catch {
        // Like a Go collector that cannot read its source: the scrape goes on with what there is.
      }
    }));
    return this.render();
  }

  /** Every family in the text format 0.0.4; vectors without children are left out. */
  render(): string {
    let out = "";
    for (const name of [...this.families.keys()].sort(compare)) {
      const f = this.families.get(name)!;
      const series = f.metric instanceof MetricVec ? sortedSeries(f.metric) : [{ values: [] as readonly string[], child: f.metric }];
      if (series.length === 0) continue;
      const names = f.metric instanceof MetricVec ? f.metric.labelNames : [];
      const help = f.opts.stabilityLevel ? `[${f.opts.stabilityLevel}] ${f.opts.help}` : f.opts.help;
      out += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${f.kind}\n`;
      const order = names.map((n, i) => [n, i] as const).sort((a, b) => compare(a[0], b[0]));
      for (const { values, child } of series) {
        const pairs = order.map(([n, i]) => `${n}="${escapeLabel(values[i]!)}"`);
        if (child instanceof Histogram) {
          let cumulative = 0;
          for (let i = 0; i < child.buckets.length; i++) {
            cumulative += child.counts[i]!;
            out += `${name}_bucket{${[...pairs, `le="${formatGoFloat(child.buckets[i]!)}"`].join(",")}} ${cumulative}\n`;
          }
          out += `${name}_bucket{${[...pairs, 'le="+Inf"'].join(",")}} ${child.count}\n`;
          const labels = pairs.length > 0 ? `{${pairs.join(",")}}` : "";
          out += `${name}_sum${labels} ${formatGoFloat(child.sum)}\n${name}_count${labels} ${child.count}\n`;
        } else {
          const labels = pairs.length > 0 ? `{${pairs.join(",")}}` : "";
          out += `${name}${labels} ${formatGoFloat(child.value)}\n`;
        }
      }
    }
    return out;
  }

  private add<M extends Child | MetricVec<Child>>(opts: MetricOpts, kind: Kind, metric: M): M {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(opts.name)) throw new Error(`invalid metric name ${JSON.stringify(opts.name)}`);
    if (this.families.has(opts.name)) throw new Error(`metric ${opts.name} is already registered`);
    if (metric instanceof MetricVec) {
      for (const l of metric.labelNames) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith("__") || (kind === "histogram" && l === "le")) {
          throw new Error(`metric ${opts.name}: invalid label name ${JSON.stringify(l)}`);
        }
      }
    }
    this.families.set(opts.name, { opts, kind, metric });
    return metric;
  }
}

function checkBuckets(opts: MetricOpts & { buckets?: readonly number[] }): readonly number[] {
  const b = opts.buckets ?? DEF_BUCKETS;
  for (let i = 1; i < b.length; i++) {
    if (!(b[i]! > b[i - 1]!)) throw new Error(`histogram ${opts.name}: buckets must be in increasing order`);
  }
  // +Inf is always added when rendering; a declared one would be a duplicate.
  return b[b.length - 1] === Infinity ? b.slice(0, -1) : b;
}

/** Series of a vector sorted by label values in label-name order (as client_golang sorts them). */
function sortedSeries(vec: MetricVec<Child>): { values: readonly string[]; child: Child }[] {
  const order = vec.labelNames.map((n, i) => [n, i] as const).sort((a, b) => compare(a[0], b[0])).map(([, i]) => i);
  return [...vec.children.values()].sort((x, y) => {
    for (const i of order) {
      const c = compare(x.values[i]!, y.values[i]!);
      if (c !== 0) return c;
    }
    return 0;
  });
}
