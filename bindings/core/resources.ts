/**
 * Typed API over core.wasm's resource accounting (core/resources.ts, core/resNode.ts): pod
 * effective requests/limits, QoS class, pod cgroup values, oom_score_adj, node allocatable,
 * admission fit and eviction order.
 *
 * Amounts are JS numbers (branded by unit) and must be safe integers: the core is i64, so a
 * value above 2^53-1 is rejected with a RangeError on the way in and on the way out. Quantities
 * are turned into these integers by the quantity API (MilliValue for cpu, Value otherwise).
 */
import type { CoreExports } from "./load.ts";

/** CPU in thousandths of a core (Quantity.MilliValue of a cpu quantity). */
export type MilliCPU = number & { readonly __unit: "MilliCPU" };
/** Memory or storage in bytes (Quantity.Value). */
export type Bytes = number & { readonly __unit: "Bytes" };
/** Brands a number as milli-CPU. */
export const milliCPU = (n: number): MilliCPU => n as MilliCPU;
/** Brands a number as bytes. */
export const bytes = (n: number): Bytes => n as Bytes;

/** Slot numbers of the core's resource vectors; extended resource id i is slot FirstExtended + i. */
export const ResourceSlot = { CPU: 0, Memory: 1, EphemeralStorage: 2, Pods: 3, FirstExtended: 4 } as const;

/** A resource list; a missing entry is "not set", which differs from 0 for limits and QoS. */
export interface ResourceList {
  cpu?: MilliCPU;
  memory?: Bytes;
  ephemeralStorage?: Bytes;
  /** Pod count (node lists only). */
  pods?: number;
  /** Extended resources (e.g. nvidia.com/gpu) by the id the caller assigned, in whole units. */
  extended?: readonly (number | undefined)[];
}

/** App container, init container, or sidecar (init container with restartPolicy: Always). */
export type ContainerKind = "app" | "init" | "sidecar";

/** One container's resources; init containers and sidecars must be listed in spec order. */
export interface ContainerResources {
  kind: ContainerKind;
  requests?: ResourceList;
  limits?: ResourceList;
}

/** What the accounting needs of a pod. */
export interface PodResources {
  containers: readonly ContainerResources[];
  overhead?: ResourceList;
  /** system-node-critical / system-cluster-critical static pods get the guaranteed oom_score_adj. */
  nodeCritical?: boolean;
}

/** Pod QoS class. */
export type QOSClass = "BestEffort" | "Burstable" | "Guaranteed";

/** Pod-level cgroup values; a missing field means "leave unset" (v2: "max"). */
export interface PodCgroupConfig {
  cpuShares: number;
  /** CFS quota in µs; unset = unlimited. */
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimit?: Bytes;
  /** cgroup v2 cpu.weight converted from the shares. */
  cpuWeight: number;
}

/** The accounting of one pod. */
export interface PodAccounting {
  /** Effective requests (KEP-753, plus overhead); every field present, 0 when nothing asks. */
  requests: ResourceList;
  /** Effective limits; only the resources some container limits. */
  limits: ResourceList;
  qos: QOSClass;
  cgroup: PodCgroupConfig;
  /** oom_score_adj per container, in the order given. */
  oomScoreAdj: number[];
}

/** Node facts the pod accounting needs. */
export interface NodeOptions {
  memoryCapacity: Bytes;
  /** CFS period in µs (cpuCFSQuotaPeriod); default 100000. */
  cpuPeriodUs?: number;
  /** cpuCFSQuota; default true. */
  enforceCpuLimits?: boolean;
}

/** A hard eviction threshold: an amount, or a fraction of capacity (0.1 for "10%"). */
export type Threshold = number | { fraction: number };

/** Node capacity and what is held back from pods. */
export interface NodeReservation {
  capacity: ResourceList;
  kubeReserved?: ResourceList;
  systemReserved?: ResourceList;
  /** memory.available and nodefs.available hard eviction thresholds. */
  evictionHard?: { memory?: Threshold; ephemeralStorage?: Threshold };
}

/** A pod competing for eviction under memory or disk pressure. */
export interface EvictionCandidate {
  /** Usage of the pressured resource; undefined when no stats are known. */
  usage?: Bytes;
  /** The pod's request of the pressured resource. */
  request: Bytes;
  priority: number;
}

/** What a node has and what admitted pods already use, for admission. */
export interface NodeUsage {
  allocatable: ResourceList;
  /** Sum of admitted pods' requests; `pods` = number of admitted pods. */
  requested: ResourceList;
}

/** Resource accounting, implemented by core.wasm and by the pure-TS twin. */
export interface ResourceAccounting {
  /** Accounts many pods in one call. */
  accountPods(pods: readonly PodResources[], node: NodeOptions): PodAccounting[];
  /** capacity - kube-reserved - system-reserved - hard eviction threshold, floored at 0. */
  nodeAllocatable(node: NodeReservation): ResourceList;
  /** Admission fit of pods (by effective requests): a mask of insufficient slots per pod, 0 = fits. */
  admit(podRequests: readonly ResourceList[], node: NodeUsage, options?: { sequential?: boolean }): number[];
  /** Indices of the candidates in eviction order, first to evict first. */
  rankForEviction(pods: readonly EvictionCandidate[]): number[];
}

/** The pod cgroup's cgroup v1 file values; files to leave alone are omitted. */
export function cgroupV1Files(cg: PodCgroupConfig): Record<string, string> {
  const files: Record<string, string> = { "cpu.shares": `${cg.cpuShares}` };
  if (cg.cpuQuota !== undefined) files["cpu.cfs_quota_us"] = `${cg.cpuQuota}`;
  if (cg.cpuPeriod !== undefined) files["cpu.cfs_period_us"] = `${cg.cpuPeriod}`;
  if (cg.memoryLimit !== undefined) files["memory.limit_in_bytes"] = `${cg.memoryLimit}`;
  return files;
}

/** The pod cgroup's cgroup v2 file values (cpu.weight, cpu.max "quota period" or "max period", memory.max). */
export function cgroupV2Files(cg: PodCgroupConfig): Record<string, string> {
  const files: Record<string, string> = { "cpu.weight": `${cg.cpuWeight}` };
  if (cg.cpuPeriod !== undefined) files["cpu.max"] = `${cg.cpuQuota ?? "max"} ${cg.cpuPeriod}`;
  files["memory.max"] = cg.memoryLimit === undefined ? "max" : `${cg.memoryLimit}`;
  return files;
}

/** Names of the slots set in an admission mask ("cpu", "memory", ..., "extended/<id>"). */
export function insufficientResources(mask: number): string[] {
  const names = ["cpu", "memory", "ephemeral-storage", "pods"];
  const out: string[] = [];
  for (let r = 0; r < 31; r++) if (mask & (1 << r)) out.push(names[r] ?? `extended/${r - ResourceSlot.FirstExtended}`);
  return out;
}

/** Slot count needed for these lists: 4 fixed slots + the longest extended array. */
export function slotsFor(lists: Iterable<ResourceList | undefined>): number {
  let n = ResourceSlot.FirstExtended;
  for (const l of lists) if (l?.extended && l.extended.length + ResourceSlot.FirstExtended > n) n = l.extended.length + ResourceSlot.FirstExtended;
  return n;
}

/** Amount of slot r in a list, or undefined. */
export function slotOf(list: ResourceList | undefined, r: number): number | undefined {
  if (!list) return undefined;
  switch (r) {
    case 0: return list.cpu;
    case 1: return list.memory;
    case 2: return list.ephemeralStorage;
    case 3: return list.pods;
    default: return list.extended?.[r - ResourceSlot.FirstExtended];
  }
}

/** Builds a list from per-slot amounts (undefined entries are left out). */
export function listFromSlots(get: (r: number) => number | undefined, nres: number): ResourceList {
  const l: ResourceList = {};
  const cpu = get(0), mem = get(1), eph = get(2), pods = get(3);
  if (cpu !== undefined) l.cpu = cpu as MilliCPU;
  if (mem !== undefined) l.memory = mem as Bytes;
  if (eph !== undefined) l.ephemeralStorage = eph as Bytes;
  if (pods !== undefined) l.pods = pods;
  if (nres > ResourceSlot.FirstExtended) {
    const ext: (number | undefined)[] = [];
    for (let r = ResourceSlot.FirstExtended; r < nres; r++) ext.push(get(r));
    if (ext.some((v) => v !== undefined)) l.extended = ext;
  }
  return l;
}

/** Throws a RangeError unless n is a non-negative safe integer. */
export function checkAmount(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer below 2^53, got ${n}`);
  return n;
}

/** QoS classes as the core numbers them. */
export const QOS_CLASSES: readonly QOSClass[] = ["BestEffort", "Burstable", "Guaranteed"];
/** Container kinds as the core numbers them. */
export const CONTAINER_KINDS: Readonly<Record<ContainerKind, number>> = { app: 0, init: 1, sidecar: 2 };

type Fn = (...args: (number | bigint)[]) => number;
type Exports = CoreExports & Record<string, Fn | WebAssembly.Global>;

/** i64 views over linear memory: numbers go in and out as two i32 halves, no BigInt. */
class I64View {
  readonly #i: Int32Array;
  readonly #u: Uint32Array;
  constructor(memory: WebAssembly.Memory, ptr: number, count: number) {
    this.#i = new Int32Array(memory.buffer, ptr, count * 2);
    this.#u = new Uint32Array(memory.buffer, ptr, count * 2);
  }
  /** Writes n (a safe integer or -1). */
  set(k: number, n: number): void {
    const hi = Math.floor(n / 4294967296);
    this.#i[2 * k] = n - hi * 4294967296;
    this.#i[2 * k + 1] = hi;
  }
  get(k: number): number {
    const hi = this.#i[2 * k + 1]!;
    if (hi > 0x1fffff || hi < -0x200000) throw new RangeError("core.wasm returned an amount beyond 2^53; use smaller units");
    return hi * 4294967296 + this.#u[2 * k]!;
  }
}

/** The core.wasm implementation of ResourceAccounting. */
export class WasmResourceAccounting implements ResourceAccounting {
  readonly #x: Exports;
  readonly #maxPods: number;
  readonly #maxContainers: number;

  /** Wraps the raw exports of an instantiated core.wasm. */
  constructor(core: CoreExports) {
    this.#x = core as Exports;
    this.#maxPods = (this.#x.RES_MAX_PODS as WebAssembly.Global).value as number;
    this.#maxContainers = (this.#x.RES_MAX_CONTAINERS as WebAssembly.Global).value as number;
  }

  #call(name: string, ...args: (number | bigint)[]): number { return (this.#x[name] as Fn)(...args); }
  #i64(ptrFn: string, count: number): I64View { return new I64View(this.#x.memory, this.#call(ptrFn), count); }
  #i32(ptrFn: string, count: number): Int32Array { return new Int32Array(this.#x.memory.buffer, this.#call(ptrFn), count); }

  #writeList(view: I64View, row: number, nres: number, list: ResourceList | undefined, what: string): void {
    for (let r = 0; r < nres; r++) {
      const v = slotOf(list, r);
      view.set(row * nres + r, v === undefined ? -1 : checkAmount(v, what));
    }
  }

  accountPods(pods: readonly PodResources[], node: NodeOptions): PodAccounting[] {
    const nres = slotsFor(pods.flatMap((p) => [p.overhead, ...p.containers.flatMap((c) => [c.requests, c.limits])]));
    const out: PodAccounting[] = [];
    let start = 0;
    while (start < pods.length) {
      let end = start, containers = 0;
      while (end < pods.length && end - start < this.#maxPods && containers + pods[end]!.containers.length <= this.#maxContainers) containers += pods[end++]!.containers.length;
      if (end === start) throw new RangeError(`a pod with ${pods[start]!.containers.length} containers exceeds the core's ${this.#maxContainers}`);
      this.#accountChunk(pods.slice(start, end), nres, node, containers, out);
      start = end;
    }
    return out;
  }

  #accountChunk(pods: readonly PodResources[], nres: number, node: NodeOptions, total: number, out: PodAccounting[]): void {
    const table = this.#i32("resPodsPtr", pods.length * 4);
    const kinds = this.#i32("resContainerKindsPtr", total);
    const reqs = this.#i64("resRequestsPtr", total * nres);
    const lims = this.#i64("resLimitsPtr", total * nres);
    const overhead = this.#i64("resOverheadPtr", pods.length * nres);
    let c = 0;
    pods.forEach((pod, p) => {
      table.set([c, pod.containers.length, pod.nodeCritical ? 1 : 0, 0], p * 4);
      this.#writeList(overhead, p, nres, pod.overhead, "pod overhead");
      for (const ctr of pod.containers) {
        kinds[c] = CONTAINER_KINDS[ctr.kind];
        this.#writeList(reqs, c, nres, ctr.requests, "container request");
        this.#writeList(lims, c, nres, ctr.limits, "container limit");
        c++;
      }
    });
    // i64 parameters cross as BigInt
    const rc = this.#call("computePods", pods.length, nres, BigInt(checkAmount(node.memoryCapacity, "memoryCapacity")),
      BigInt(checkAmount(node.cpuPeriodUs ?? 100000, "cpuPeriodUs")), node.enforceCpuLimits === false ? 0 : 1);
    if (rc < 0) throw new RangeError(`core.wasm computePods failed with code ${rc}; see ABI.md`);
    const podReqs = this.#i64("resPodRequestsPtr", pods.length * nres);
    const podLims = this.#i64("resPodLimitsPtr", pods.length * nres);
    const qos = this.#i32("resPodQosPtr", pods.length);
    const cg = this.#i64("resPodCgroupPtr", pods.length * 5);
    const oom = this.#i32("resContainerOomPtr", total);
    c = 0;
    pods.forEach((pod, p) => {
      const quota = cg.get(p * 5 + 1), period = cg.get(p * 5 + 2), memory = cg.get(p * 5 + 3);
      const cgroup: PodCgroupConfig = { cpuShares: cg.get(p * 5), cpuWeight: cg.get(p * 5 + 4) };
      if (quota >= 0) cgroup.cpuQuota = quota;
      if (period >= 0) cgroup.cpuPeriod = period;
      if (memory >= 0) cgroup.memoryLimit = memory as Bytes;
      const requests = listFromSlots((r) => (r === ResourceSlot.Pods ? undefined : podReqs.get(p * nres + r)), nres);
      const limits = listFromSlots((r) => { const v = podLims.get(p * nres + r); return v < 0 ? undefined : v; }, nres);
      out.push({ requests, limits, qos: QOS_CLASSES[qos[p]!]!, cgroup, oomScoreAdj: Array.from(oom.subarray(c, c + pod.containers.length)) });
      c += pod.containers.length;
    });
  }

  nodeAllocatable(node: NodeReservation): ResourceList {
    const nres = slotsFor([node.capacity, node.kubeReserved, node.systemReserved]);
    this.#writeList(this.#i64("resNodeCapacityPtr", nres), 0, nres, node.capacity, "capacity");
    this.#writeList(this.#i64("resNodeKubeReservedPtr", nres), 0, nres, node.kubeReserved, "kube-reserved");
    this.#writeList(this.#i64("resNodeSystemReservedPtr", nres), 0, nres, node.systemReserved, "system-reserved");
    const amounts = this.#i64("resNodeEvictionPtr", nres);
    const fractions = new Float32Array(this.#x.memory.buffer, this.#call("resNodeEvictionFractionPtr"), nres);
    for (let r = 0; r < nres; r++) {
      const t = r === ResourceSlot.Memory ? node.evictionHard?.memory : r === ResourceSlot.EphemeralStorage ? node.evictionHard?.ephemeralStorage : undefined;
      fractions[r] = typeof t === "object" ? t.fraction : 0;
      amounts.set(r, typeof t === "number" ? checkAmount(t, "eviction threshold") : -1);
    }
    const rc = this.#call("nodeAllocatable", nres);
    if (rc < 0) throw new RangeError(`core.wasm nodeAllocatable failed with code ${rc}; see ABI.md`);
    const alloc = this.#i64("resNodeAllocatablePtr", nres);
    return listFromSlots((r) => { const v = alloc.get(r); return v < 0 ? undefined : v; }, nres);
  }

  admit(podRequests: readonly ResourceList[], node: NodeUsage, options: { sequential?: boolean } = {}): number[] {
    const nres = slotsFor([...podRequests, node.allocatable, node.requested]);
    this.#writeList(this.#i64("resNodeAllocatablePtr", nres), 0, nres, node.allocatable, "allocatable");
    const requested = this.#i64("resNodeRequestedPtr", nres);
    for (let r = 0; r < nres; r++) requested.set(r, checkAmount(slotOf(node.requested, r) ?? 0, "requested"));
    const masks: number[] = [];
    for (let start = 0; start < podRequests.length; start += this.#maxPods) {
      const chunk = podRequests.slice(start, start + this.#maxPods);
      const reqs = this.#i64("resPodRequestsPtr", chunk.length * nres);
      chunk.forEach((l, p) => { for (let r = 0; r < nres; r++) reqs.set(p * nres + r, checkAmount(slotOf(l, r) ?? 0, "pod request")); });
      const rc = this.#call("admitPods", chunk.length, nres, options.sequential ? 1 : 0);
      if (rc < 0) throw new RangeError(`core.wasm admitPods failed with code ${rc}; see ABI.md`);
      masks.push(...this.#i32("resAdmitPtr", chunk.length));
    }
    return masks;
  }

  rankForEviction(pods: readonly EvictionCandidate[]): number[] {
    if (pods.length > this.#maxPods) throw new RangeError(`rankForEviction takes at most ${this.#maxPods} pods`);
    const usage = this.#i64("resEvictUsagePtr", pods.length), request = this.#i64("resEvictRequestPtr", pods.length);
    const prio = this.#i32("resEvictPriorityPtr", pods.length), flags = this.#i32("resEvictFlagsPtr", pods.length);
    pods.forEach((p, i) => {
      usage.set(i, p.usage === undefined ? 0 : checkAmount(p.usage, "usage"));
      request.set(i, checkAmount(p.request, "request"));
      prio[i] = p.priority;
      flags[i] = p.usage === undefined ? 0 : 1;
    });
    this.#call("rankEviction", pods.length);
    return Array.from(this.#i32("resEvictOrderPtr", pods.length));
  }
}
