/**
 * Eviction thresholds as upstream's eviction API defines them: a signal ("memory.available",
 * "nodefs.available", ...), a quantity or a percentage of capacity that `available` must not fall
 * below, a grace period (0 for hard thresholds) and a minimum reclaim. Parsed from the
 * KubeletConfiguration's evictionHard / evictionSoft / evictionSoftGracePeriod /
 * evictionMinimumReclaim maps, with upstream's validation messages.
 */

/** The signals kubelet-ts observes (upstream 1.20's, less allocatableMemory.available). */
export const SIGNALS = ["memory.available", "nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree", "pid.available"] as const;
export type Signal = typeof SIGNALS[number];

/** A threshold value: an absolute amount, or a fraction (0..1] of the signal's capacity. */
export type ThresholdValue = { quantity: number } | { percentage: number };

export interface Threshold {
  signal: Signal;
  value: ThresholdValue;
  /** 0 for hard thresholds (act at once), the soft grace period otherwise. */
  gracePeriodMs: number;
  minReclaim?: ThresholdValue;
}

/** The node condition a signal drives. */
export type PressureCondition = "MemoryPressure" | "DiskPressure" | "PIDPressure";

export const SIGNAL_CONDITION: Readonly<Record<Signal, PressureCondition>> = {
  "memory.available": "MemoryPressure",
  "nodefs.available": "DiskPressure",
  "nodefs.inodesFree": "DiskPressure",
  "imagefs.available": "DiskPressure",
  "imagefs.inodesFree": "DiskPressure",
  "pid.available": "PIDPressure",
};

/** The resource a signal's pressure reclaims (the eviction message names it). */
export const SIGNAL_RESOURCE: Readonly<Record<Signal, string>> = {
  "memory.available": "memory",
  "nodefs.available": "ephemeral-storage",
  "nodefs.inodesFree": "inodes",
  "imagefs.available": "ephemeral-storage",
  "imagefs.inodesFree": "inodes",
  "pid.available": "pids",
};

/** Parses a quantity to an integer amount; undefined when it is not a valid quantity. */
export type QuantityParser = (text: string) => number | undefined;

/** The eviction settings of a KubeletConfiguration. */
export interface EvictionSettings {
  evictionHard: Readonly<Record<string, string>>;
  evictionSoft?: Readonly<Record<string, string>>;
  /** Signal -> grace period in ms (Go durations already converted). */
  evictionSoftGracePeriodMs?: Readonly<Record<string, number>>;
  evictionMinimumReclaim?: Readonly<Record<string, string>>;
}

const isSignal = (s: string): s is Signal => (SIGNALS as readonly string[]).includes(s);

/** One value ("100Mi", "10%"), or an error message as upstream words it. */
export function parseThresholdValue(signal: string, text: string, parse: QuantityParser): ThresholdValue | string {
  const t = text.trim();
  if (t.endsWith("%")) {
    const p = Number(t.slice(0, -1));
    if (t.length === 1 || !Number.isFinite(p)) return `invalid percentage ${JSON.stringify(text)} for eviction signal ${signal}`;
    if (p < 0 || p > 100) return `eviction percentage threshold ${signal} must be >= 0% and <= 100%: ${text}`;
    return { percentage: p / 100 };
  }
  const q = parse(t);
  if (q === undefined) return `invalid quantity ${JSON.stringify(text)} for eviction signal ${signal}`;
  if (q < 0) return `eviction threshold ${signal} cannot be negative: ${text}`;
  return { quantity: q };
}

/**
 * The thresholds of `settings`; throws an Error naming the first problem (unsupported signal,
 * bad value, a soft threshold without grace period, a negative grace period).
 * Zero thresholds ("0" or "0%") are dropped, as upstream treats them as disabled.
 */
export function parseThresholds(settings: EvictionSettings, parse: QuantityParser): Threshold[] {
  const out: Threshold[] = [];
  const add = (map: Readonly<Record<string, string>> | undefined, soft: boolean) => {
    for (const [signal, text] of Object.entries(map ?? {})) {
      if (!isSignal(signal)) throw new Error(`unsupported eviction signal ${signal}`);
      const value = parseThresholdValue(signal, text, parse);
      if (typeof value === "string") throw new Error(value);
      if (("quantity" in value && value.quantity === 0) || ("percentage" in value && value.percentage === 0)) continue;
      let gracePeriodMs = 0;
      if (soft) {
        const g = settings.evictionSoftGracePeriodMs?.[signal];
        if (g === undefined) throw new Error(`grace period must be specified for the soft eviction threshold ${signal}`);
        gracePeriodMs = g;
      }
      const t: Threshold = { signal, value, gracePeriodMs };
      const mr = settings.evictionMinimumReclaim?.[signal];
      if (mr !== undefined) {
        const m = parseThresholdValue(signal, mr, parse);
        if (typeof m === "string") throw new Error(m);
        t.minReclaim = m;
      }
      out.push(t);
    }
  };
  add(settings.evictionHard, false);
  add(settings.evictionSoft, true);
  for (const [signal, ms] of Object.entries(settings.evictionSoftGracePeriodMs ?? {})) {
    if (!isSignal(signal)) throw new Error(`unsupported eviction signal ${signal}`);
    if (ms < 0) throw new Error(`invalid eviction grace period specified: ${ms}ms, must be a positive value`);
  }
  return out;
}

/** The amount `value` stands for against `capacity`. */
export function thresholdAmount(value: ThresholdValue, capacity: number): number {
  return "quantity" in value ? value.quantity : Math.trunc(value.percentage * capacity);
}
