/**
 * The eviction manager, as upstream's: every monitoring interval (10 s) it observes the node's
 * signals, finds the thresholds met (keeping those whose minimum reclaim is not reached yet),
 * reports MemoryPressure / DiskPressure / PIDPressure while a threshold was met within the pressure
 * transition period, and once a threshold's grace period has passed (at once for hard ones) with
 * fresh stats, ranks the active pods (the Wasm core's rankForEviction: pods without stats, then
 * usage above requests, priority, usage minus requests) and evicts the first one that is not
 * critical — one pod per interval, status Failed/Evicted with upstream's message. Its admit()
 * refuses new pods under pressure as upstream does. Pure over injected dependencies.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import type { EvictionCandidate } from "../../bindings/core/resources.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import { formatBinarySI } from "../nodestatus/quantityFormat.ts";
import {
  SIGNAL_CONDITION, SIGNAL_RESOURCE, thresholdAmount, type PressureCondition, type Signal, type Threshold,
} from "./thresholds.ts";

/** Upstream's monitoring interval and the grace period of an eviction for a hard threshold. */
export const EVICTION_MONITORING_INTERVAL_MS = 10_000;
export const IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS = 0;
/** Upstream's reason and message formats (pkg/kubelet/eviction/helpers.go, 1.20). */
export const EVICTION_REASON = "Evicted";

/** What was observed of one signal: available and capacity in the signal's unit, and when. */
export interface SignalObservation { available: number; capacity: number; time: number }
export type Observations = Partial<Record<Signal, SignalObservation>>;

/** A pod's measured usage (bytes; processes for PIDs); absent fields were not measured. */
export interface PodUsage {
  memory?: number;
  /** Writable layers, logs and local volumes. */
  ephemeralStorage?: number;
  /** Per container: working set, and writable layer + logs. */
  containers: { name: string; memory?: number; ephemeralStorage?: number }[];
  /** Local volumes (emptyDir, configMap, ...) by name. */
  volumes?: { name: string; usedBytes: number }[];
}

/** One look at the node: signal observations and per-pod usage by UID. */
export interface NodeObservation { signals: Observations; pods: ReadonlyMap<string, PodUsage> }

export interface EvictionManagerDeps {
  thresholds: readonly Threshold[];
  /** evictionPressureTransitionPeriod (upstream default 5 min). */
  pressureTransitionPeriodMs: number;
  /** evictionMaxPodGracePeriod for soft evictions (seconds). */
  maxPodGracePeriodSeconds: number;
  clock: Clock;
  log: Logger;
  /**
   * The node now; `fresh` asks for stats taken after the call (not a cached sample); `withPods`
   * asks for per-pod usage too (costlier: only needed to rank pods or to check local storage limits).
   */
  observe(fresh?: boolean, withPods?: boolean): Promise<NodeObservation>;
  /** The pods that may be evicted (admitted, not terminal). */
  activePods(): readonly Pod[];
  /** A pod's request of "memory" / "ephemeral-storage" (bytes; 0 when none). */
  podRequest(pod: Pod, resource: "memory" | "ephemeral-storage"): number;
  /** A container's request of a resource (bytes; 0 when none). */
  containerRequest(pod: Pod, container: string, resource: "memory" | "ephemeral-storage"): number;
  /** The Wasm core's ranking: indices of `candidates`, first to evict first. */
  rank(candidates: readonly EvictionCandidate[]): number[];
  isCritical(pod: Pod): boolean;
  /** Kills the pod with the grace period and records it Failed with reason Evicted and `message`; false when it could not. */
  evictPod(pod: Pod, gracePeriodSeconds: number, message: string): Promise<boolean>;
  /** Warning event on the node. */
  nodeEvent(reason: string, message: string): void;
  /**
   * The LocalStorageCapacityIsolation feature (on by default in 1.20): pods whose emptyDir outgrew
   * its sizeLimit, or whose containers outgrew their ephemeral-storage limits, are evicted.
   * Needs `quantityBytes` to read the limits.
   */
  localStorageCapacityIsolation?: boolean;
  /**
   * Node-level reclaim for disk signals (upstream: delete unused images and dead containers) tried
   * before any pod is evicted; then `observe(true)` must return fresh stats.
   */
  reclaimDisk?(): Promise<void>;
  quantityBytes?(text: string): number | undefined;
  /** Called after a threshold eviction with its signal (upstream's kubelet_evictions counter); local storage evictions are not counted, as upstream. */
  onEvicted?(signal: string): void;
}

/** Admission verdict. */
export type AdmitResult = { admit: true } | { admit: false; reason: string; message: string };

const DISK_SIGNALS: ReadonlySet<Signal> = new Set(["nodefs.available", "nodefs.inodesFree", "imagefs.available", "imagefs.inodesFree"]);

/** What signals drive each ranking (memory and PIDs by their own resource; the rest by disk use). */
function rankResource(signal: Signal): "memory" | "ephemeral-storage" | "pids" {
  if (signal === "memory.available") return "memory";
  if (signal === "pid.available") return "pids";
  return "ephemeral-storage";
}

/** The thresholds met by `obs`; with `enforceMinReclaim`, `available` must also clear the minimum reclaim. */
export function thresholdsMet(thresholds: readonly Threshold[], obs: Observations, enforceMinReclaim: boolean): Threshold[] {
  return thresholds.filter((t) => {
    const o = obs[t.signal];
    if (!o) return false;
    let quantity = thresholdAmount(t.value, o.capacity);
    if (enforceMinReclaim && t.minReclaim) quantity += thresholdAmount(t.minReclaim, o.capacity);
    return o.available < quantity;
  });
}

const key = (t: Threshold) => `${t.signal}/${t.gracePeriodMs}`;

/** Upstream's Go-style condition list for messages: "[MemoryPressure DiskPressure]". */
const conditionList = (cs: readonly string[]) => `[${cs.join(" ")}]`;

export class EvictionManager {
  private conditions: PressureCondition[] = [];
  private readonly conditionLastObservedAt = new Map<PressureCondition, number>();
  private firstObservedAt = new Map<string, { threshold: Threshold; at: number }>();
  private thresholdsMetNow: Threshold[] = [];
  private lastObservations: Observations = {};
  private stopTimer?: () => void;
  private running?: Promise<void>;

  constructor(private readonly d: EvictionManagerDeps) {}

  /** Node conditions now reported true. */
  get nodeConditions(): readonly PressureCondition[] {
    return this.conditions;
  }

  /** For the node status setters. */
  pressure(): { memory: boolean; disk: boolean; pid: boolean } {
    return { memory: this.conditions.includes("MemoryPressure"), disk: this.conditions.includes("DiskPressure"), pid: this.conditions.includes("PIDPressure") };
  }

  /** Upstream's Admit: no pressure admits all; critical pods always; memory pressure alone admits all but BestEffort pods (unless they tolerate it). */
  admit(pod: Pod, qosClass: string): AdmitResult {
    if (this.conditions.length === 0 || this.d.isCritical(pod)) return { admit: true };
    if (this.conditions.length === 1 && this.conditions[0] === "MemoryPressure") {
      if (qosClass !== "BestEffort") return { admit: true };
      const tolerations = (pod.spec.tolerations ?? []) as { key?: string; operator?: string; value?: string; effect?: string }[];
      const tolerates = tolerations.some((t) =>
        (t.operator === "Exists" && (!t.key || t.key === "node.kubernetes.io/memory-pressure") && (!t.effect || t.effect === "NoSchedule")) ||
        (t.key === "node.kubernetes.io/memory-pressure" && (t.operator ?? "Equal") === "Equal" && !t.value && (!t.effect || t.effect === "NoSchedule")));
      if (tolerates) return { admit: true };
    }
    return { admit: false, reason: EVICTION_REASON, message: `The node had condition: ${conditionList(this.conditions)}. ` };
  }

  /** Runs synchronize every monitoring interval; after an eviction it waits for the next interval too. */
  start(): void {
    const tick = () => {
      this.running = this.synchronize().then(() => undefined, (err) => this.d.log.error("eviction manager: synchronize failed", { err: (err as Error).message }))
        .finally(() => {
          this.running = undefined;
          if (this.stopTimer) this.stopTimer = this.d.clock.setTimer(EVICTION_MONITORING_INTERVAL_MS, tick);
        });
    };
    this.stopTimer = this.d.clock.setTimer(0, tick);
  }

  async stop(): Promise<void> {
    const cancel = this.stopTimer;
    this.stopTimer = undefined;
    cancel?.();
    await this.running;
  }

  /** One pass; resolves to the evicted pod, if any. */
  async synchronize(): Promise<Pod | undefined> {
    const lsci = this.d.localStorageCapacityIsolation === true && this.d.quantityBytes !== undefined;
    if (this.d.thresholds.length === 0 && !lsci) return undefined;
    const now = this.d.clock.now();
    const { signals } = await this.d.observe(false, false);
    let podUsage: ReadonlyMap<string, PodUsage> | undefined;
    const usage = async () => (podUsage ??= (await this.d.observe(false, true)).pods);

    // Thresholds met now, plus those met before whose minimum reclaim is not reached yet.
    const met = new Map(thresholdsMet(this.d.thresholds, signals, false).map((t) => [key(t), t]));
    for (const t of thresholdsMet(this.thresholdsMetNow, signals, true)) met.set(key(t), t);

    const firstObservedAt = new Map<string, { threshold: Threshold; at: number }>();
    for (const [k, t] of met) firstObservedAt.set(k, { threshold: t, at: this.firstObservedAt.get(k)?.at ?? now });

    for (const t of met.values()) this.conditionLastObservedAt.set(SIGNAL_CONDITION[t.signal], now);
    const conditions: PressureCondition[] = [];
    for (const c of ["MemoryPressure", "DiskPressure", "PIDPressure"] as const) {
      const at = this.conditionLastObservedAt.get(c);
      if (at !== undefined && now - at < this.d.pressureTransitionPeriodMs) conditions.push(c);
      else this.conditionLastObservedAt.delete(c);
    }

    const graceMet = [...firstObservedAt.values()].filter((f) => now - f.at >= f.threshold.gracePeriodMs).map((f) => f.threshold);
    this.conditions = conditions;
    this.firstObservedAt = firstObservedAt;
    this.thresholdsMetNow = graceMet;
    // Act only on thresholds whose stats were updated since the last pass.
    const fresh = graceMet.filter((t) => {
      const o = signals[t.signal];
      const prev = this.lastObservations[t.signal];
      return o !== undefined && (prev === undefined || o.time !== prev.time);
    });
    this.lastObservations = signals;
    if (lsci && this.d.activePods().some(hasLocalStorageLimit)) {
      const evicted = await this.localStorageEviction(await usage());
      if (evicted) return evicted;
    }
    if (fresh.length === 0) return undefined;

    // Memory first, then the rest in configuration order (upstream's byEvictionPriority).
    const toReclaim = [...fresh].sort((a, b) => Number(b.signal === "memory.available") - Number(a.signal === "memory.available"))[0]!;
    const resource = SIGNAL_RESOURCE[toReclaim.signal];
    this.d.log.info(0, "eviction manager: attempting to reclaim", { resource });
    this.d.nodeEvent("EvictionThresholdMet", `Attempting to reclaim ${resource}`);
    if (this.d.reclaimDisk && DISK_SIGNALS.has(toReclaim.signal)) {
      try {
        await this.d.reclaimDisk();
      } catch (err) {
        this.d.log.info(0, "eviction manager: unexpected error when attempting to reduce resource pressure", { resource, err: (err as Error).message });
      }
      // With the minimum reclaim, is every threshold now satisfied without evicting pods?
      const after = await this.d.observe(true);
      if (thresholdsMet(this.d.thresholds, after.signals, true).length === 0) {
        this.d.log.info(0, "eviction manager: able to reduce resource pressure without evicting pods", { resource });
        return undefined;
      }
    }

    const active = [...this.d.activePods()];
    if (active.length === 0) {
      this.d.log.error("eviction manager: eviction thresholds have been met, but no pods are active to evict");
      return undefined;
    }
    const by = rankResource(toReclaim.signal);
    const pods = await usage();
    const candidates: EvictionCandidate[] = active.map((p) => {
      const u = pods.get(p.metadata.uid!);
      const usage = by === "memory" ? u?.memory : by === "ephemeral-storage" ? u?.ephemeralStorage : undefined;
      const request = by === "pids" ? 0 : this.d.podRequest(p, by);
      return { usage: u && usage !== undefined ? (usage as EvictionCandidate["usage"]) : undefined, request: request as EvictionCandidate["request"], priority: p.spec.priority ?? 0 };
    });
    const order = this.d.rank(candidates);
    const grace = toReclaim.gracePeriodMs === 0 ? IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS : this.d.maxPodGracePeriodSeconds;
    for (const i of order) {
      const pod = active[i]!;
      if (this.d.isCritical(pod)) continue;
      const message = this.message(resource, pod, pods.get(pod.metadata.uid!), by);
      if (await this.d.evictPod(pod, grace, message)) {
        this.d.onEvicted?.(toReclaim.signal);
        this.d.log.info(0, "eviction manager: pod evicted", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, resource });
        return pod;
      }
    }
    this.d.log.info(0, "eviction manager: unable to evict any pods from the node");
    return undefined;
  }

  /**
   * Upstream's localStorageEviction: every active pod whose emptyDir usage exceeds its sizeLimit,
   * whose ephemeral storage exceeds its containers' summed limits, or one of whose containers
   * exceeds its own limit is evicted at once (grace 0). Resolves to the first evicted pod.
   */
  private async localStorageEviction(usage: ReadonlyMap<string, PodUsage>): Promise<Pod | undefined> {
    const bytes = this.d.quantityBytes!;
    let first: Pod | undefined;
    for (const pod of this.d.activePods()) {
      const u = usage.get(pod.metadata.uid!);
      if (!u || this.d.isCritical(pod)) continue;
      const message = localStorageViolation(pod, u, bytes);
      if (message && (await this.d.evictPod(pod, IMMEDIATE_EVICTION_GRACE_PERIOD_SECONDS, message))) {
        this.d.log.info(0, "eviction manager: pod evicted for local storage use", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, message });
        first ??= pod;
      }
    }
    return first;
  }

  /** Upstream's evictionMessage: the resource, then each container using more than it requested. */
  private message(resource: string, pod: Pod, usage: PodUsage | undefined, by: "memory" | "ephemeral-storage" | "pids"): string {
    let message = `The node was low on resource: ${resource}. `;
    if (!usage || by === "pids") return message;
    for (const c of usage.containers) {
      if (!pod.spec.containers.some((x) => x.name === c.name)) continue;
      const used = by === "memory" ? c.memory : c.ephemeralStorage;
      if (used === undefined) continue;
      const request = this.d.containerRequest(pod, c.name, by);
      const requestText = String(pod.spec.containers.find((x) => x.name === c.name)?.resources?.requests?.[by] ?? "0");
      if (used > request) message += `Container ${c.name} was using ${formatBinarySI(used)}, which exceeds its request of ${requestText}. `;
    }
    return message;
  }
}

/** True when the pod sets a limit local storage eviction checks (an emptyDir sizeLimit or an ephemeral-storage limit). */
export function hasLocalStorageLimit(pod: Pod): boolean {
  const limited = (c: { resources?: { limits?: Record<string, unknown> } }) => c.resources?.limits?.["ephemeral-storage"] !== undefined;
  return (pod.spec.volumes ?? []).some((v) => v.emptyDir?.sizeLimit !== undefined) ||
    pod.spec.containers.some(limited) || (pod.spec.initContainers ?? []).some(limited);
}

/** Go's %q for the plain strings these messages quote. */
const q = (s: string) => JSON.stringify(s);

/** Why `pod` breaks a local storage limit (upstream's three checks, in order), or undefined. */
export function localStorageViolation(pod: Pod, u: PodUsage, bytes: (text: string) => number | undefined): string | undefined {
  const used = new Map((u.volumes ?? []).map((v) => [v.name, v.usedBytes]));
  for (const v of pod.spec.volumes ?? []) {
    const limitText = v.emptyDir?.sizeLimit;
    if (limitText === undefined) continue;
    const limit = bytes(String(limitText));
    const usedBytes = used.get(v.name);
    if (limit !== undefined && limit > 0 && usedBytes !== undefined && usedBytes > limit) {
      return `Usage of EmptyDir volume ${q(v.name)} exceeds the limit ${q(String(limitText))}. `;
    }
  }
  // The pod's limit as upstream's PodRequestsAndLimits sums it: app containers added, at least any init container's.
  const limitOf = (c: { resources?: { limits?: Record<string, unknown> } }) => {
    const t = c.resources?.limits?.["ephemeral-storage"];
    return t === undefined ? undefined : { text: String(t), bytes: bytes(String(t)) };
  };
  const appLimits = pod.spec.containers.map(limitOf);
  const initLimits = (pod.spec.initContainers ?? []).map(limitOf);
  if ([...appLimits, ...initLimits].some((l) => l !== undefined)) {
    let podLimit = appLimits.reduce((n, l) => n + (l?.bytes ?? 0), 0);
    for (const l of initLimits) podLimit = Math.max(podLimit, l?.bytes ?? 0);
    if (u.ephemeralStorage !== undefined && u.ephemeralStorage > podLimit) {
      return `Pod ephemeral local storage usage exceeds the total limit of containers ${formatBinarySI(podLimit)}. `;
    }
  }
  for (const c of u.containers) {
    const spec = pod.spec.containers.find((x) => x.name === c.name);
    const l = spec && limitOf(spec);
    if (l?.bytes !== undefined && l.bytes !== 0 && c.ephemeralStorage !== undefined && c.ephemeralStorage > l.bytes) {
      return `Container ${c.name} exceeded its local ephemeral storage limit ${q(l.text)}. `;
    }
  }
  return undefined;
}
