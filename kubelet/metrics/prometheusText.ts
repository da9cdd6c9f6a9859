/**
 * The Prometheus text exposition format 0.0.4 as Go's client_golang writes it (what upstream's
 * kubelet serves): families sorted by name, label pairs sorted by name, samples sorted by label
 * values, values in Go's shortest `%g` form, optional millisecond timestamps, empty families left out.
 */

/** The Content-Type of a text exposition. */
export const PROMETHEUS_TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** One sample of a family. */
export interface Sample { labels?: Record<string, string>; value: number; timestampMs?: number }

/** A metric family: name, help, type and its samples. */
export interface MetricFamily { name: string; help: string; type: "counter" | "gauge"; samples: Sample[] }

/** A float as Go's strconv.FormatFloat(v, 'g', -1, 64) prints it (e.g. 6.7108864e+07, 0.5, 1e-05). */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  // toExponential() gives the shortest round-trip digits, as Go's shortest formatting does.
  const [mantissa, expText] = v.toExponential().split("e") as [string, string];
  const exp = Number(expText);
  // Shortest %g switches to the exponent form below 1e-4 and from 1e6 (Go decides with precision 6).
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  // In that range JavaScript's shortest form is the same plain decimal.
  return String(v);
}

/** A HELP text escaped for the text format (backslash, newline). */
export const escapeHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
/** A label value escaped for the text format (backslash, newline, double quote). */
export const escapeLabel = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** Renders families in the text format; families without samples are omitted. */
export function renderPrometheusText(families: MetricFamily[]): string {
  let out = "";
  for (const f of [...families].filter((x) => x.samples.length > 0).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out += `# HELP ${f.name} ${escapeHelp(f.help)}\n# TYPE ${f.name} ${f.type}\n`;
    const rows = f.samples.map((s) => {
      const pairs = Object.entries(s.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return { s, pairs };
    });
    rows.sort((x, y) => {
      for (let i = 0; i < Math.min(x.pairs.length, y.pairs.length); i++) {
        const a = x.pairs[i]![1];
        const b = y.pairs[i]![1];
        if (a !== b) return a < b ? -1 : 1;
      }
      return (x.s.timestampMs ?? 0) - (y.s.timestampMs ?? 0);
    });
    for (const { s, pairs } of rows) {
      const labels = pairs.length > 0 ? `{${pairs.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      const ts = s.timestampMs !== undefined ? ` ${Math.trunc(s.timestampMs)}` : "";
      out += `${f.name}${labels} ${formatGoFloat(s.value)}${ts}\n`;
    }
  }
  return out;
}
