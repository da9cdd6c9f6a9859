/**
 * Probe run statistics over an interval: how many probes started and how late (from their scheduled
 * tick to the runner call). Fed by ProberManager's onRunStart; the daemon logs a summary per
 * interval when asked (KTS_PROBE_STATS_SECONDS), benchmarks read it directly.
 */

/** One interval's figures; lateness in ms (nearest-rank percentiles), NaN without runs. */
export interface ProbeRunSummary { runs: number; lateP50: number; lateP99: number; lateMax: number }

/** Collects lateness samples until summarized. */
export class ProbeRunStats {
  private samples: number[] = [];

  /** Records one run's lateness (pass as ProberOptions.onRunStart). */
  readonly record = (lateMs: number): void => {
    this.samples.push(lateMs);
  };

  /** The figures since the last call (or construction), then starts a new interval. */
  summary(): ProbeRunSummary {
    const s = Float64Array.from(this.samples).sort();
    this.samples = [];
    const at = (q: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!);
    return { runs: s.length, lateP50: at(0.5), lateP99: at(0.99), lateMax: at(1) };
  }
}
