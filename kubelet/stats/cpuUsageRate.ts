/**
 * usageNanoCores from cumulative CPU samples: the rate between the previous sample of the same
 * container, pod or node and this one, as upstream's CRI stats provider computes it (the runtime's
 * own rate is not used, so every level is measured the same way).
 */

interface CpuSample { usageNs: number; atNs: number; nanoCores?: number; seenAtMs: number }

/** Remembers the last cumulative CPU sample per key (container id, "pod/<uid>", "node"). */
export class CpuUsageRate {
  private readonly samples = new Map<string, CpuSample>();

  /**
   * Records `usageNs` (cumulative core-nanoseconds) measured at `atNs`, and returns the cores used
   * since the previous sample in nanocores: undefined for the first sample or when the counter went
   * backwards (a new cgroup under the same key); the previous rate when no time has passed.
   */
  update(key: string, usageNs: number, atNs: number, nowMs: number): number | undefined {
    const prev = this.samples.get(key);
    if (!prev || usageNs < prev.usageNs) {
      this.samples.set(key, { usageNs, atNs, seenAtMs: nowMs });
      return undefined;
    }
    const interval = atNs - prev.atNs;
    if (interval <= 0) {
      prev.seenAtMs = nowMs;
      return prev.nanoCores;
    }
    const nanoCores = Math.floor(((usageNs - prev.usageNs) / interval) * 1e9);
    this.samples.set(key, { usageNs, atNs, nanoCores, seenAtMs: nowMs });
    return nanoCores;
  }

  /** Forgets keys not sampled for `maxAgeMs` (removed containers and pods). */
  prune(nowMs: number, maxAgeMs: number): void {
    for (const [k, s] of this.samples) if (nowMs - s.seenAtMs > maxAgeMs) this.samples.delete(k);
  }

  /** How many keys are remembered (for tests). */
  get size(): number {
    return this.samples.size;
  }
}
