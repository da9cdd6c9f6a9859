/**
 * Pure-TypeScript twin of core/resources.ts and core/resNode.ts: the test oracle for
 * differential tests and the baseline of the core benchmark. It follows upstream's shape
 * (resource lists as maps, addResourceList/maxResourceList, GetPodQOS over maps) rather than the
 * core's slot loops, so that agreement between the two means something.
 */
import {
  listFromSlots, slotOf, slotsFor, ResourceSlot,
  type Bytes, type EvictionCandidate, type NodeOptions, type NodeReservation, type NodeUsage,
  type PodAccounting, type PodCgroupConfig, type PodResources, type QOSClass, type ResourceAccounting, type ResourceList,
} from "../resources.ts";

type RList = Map<number, number>;

function toMap(list: ResourceList | undefined, nres: number): RList {
  const m: RList = new Map();
  for (let r = 0; r < nres; r++) {
    const v = slotOf(list, r);
    if (v !== undefined) m.set(r, v);
  }
  return m;
}

function add(into: RList, from: RList): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function maxInto(into: RList, from: RList): void {
  for (const [k, v] of from) if (!into.has(k) || v > into.get(k)!) into.set(k, v);
}

/** Container requests after API defaulting: a limit without a request becomes the request. */
function requestsOf(c: PodResources["containers"][number], nres: number): RList {
  const m = toMap(c.requests, nres);
  for (const [k, v] of toMap(c.limits, nres)) if (!m.has(k)) m.set(k, v);
  return m;
}

/** AggregateContainerRequests / AggregateContainerLimits (KEP-753 sidecar formula). */
function aggregate(pod: PodResources, nres: number, pick: (c: PodResources["containers"][number]) => RList): RList {
  const result: RList = new Map();
  for (const c of pod.containers) if (c.kind === "app") add(result, pick(c));
  const sidecars: RList = new Map();
  const initPeak: RList = new Map();
  for (const c of pod.containers) {
    if (c.kind === "app") continue;
    const own = pick(c);
    if (c.kind === "sidecar") {
      add(result, own);
      add(sidecars, own);
      maxInto(initPeak, sidecars);
    } else {
      const combined: RList = new Map();
      add(combined, own);
      add(combined, sidecars);
      maxInto(initPeak, combined);
    }
  }
  maxInto(result, initPeak);
  void nres;
  return result;
}

function qosOf(pod: PodResources, nres: number): QOSClass {
  const requests: RList = new Map(), limits: RList = new Map();
  let guaranteed = true;
  for (const c of pod.containers) {
    for (const [k, v] of requestsOf(c, nres)) if (k <= 1 && v > 0) requests.set(k, (requests.get(k) ?? 0) + v);
    const found = new Set<number>();
    for (const [k, v] of toMap(c.limits, nres)) if (k <= 1 && v > 0) { found.add(k); limits.set(k, (limits.get(k) ?? 0) + v); }
    if (!found.has(0) || !found.has(1)) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return "BestEffort";
  if (guaranteed) for (const [k, v] of requests) if (limits.get(k) !== v) guaranteed = false;
  return guaranteed && requests.size === limits.size ? "Guaranteed" : "Burstable";
}

function oomScoreAdj(pod: PodResources, qos: QOSClass, nres: number, capacity: number): number[] {
  const memRequest = (c: PodResources["containers"][number]) => requestsOf(c, nres).get(ResourceSlot.Memory) ?? 0;
  const linear = (req: number) => 1000 - Math.floor((1000 * req) / capacity);
  const regular = pod.containers.filter((c) => c.kind === "app").map(memRequest);
  const minRegular = regular.length ? Math.min(...regular) : 0;
  return pod.containers.map((c) => {
    if (pod.nodeCritical || qos === "Guaranteed") return -997;
    if (qos === "BestEffort") return 1000;
    let adj = linear(memRequest(c));
    if (c.kind === "sidecar") adj = Math.min(adj, linear(minRegular));
    if (adj < 3) return 3;
    return adj === 1000 ? 999 : adj;
  });
}

function cgroupOf(pod: PodResources, qos: QOSClass, requests: RList, limits: RList, node: NodeOptions): PodCgroupConfig {
  const period = node.cpuPeriodUs ?? 100000;
  const cpuReq = requests.get(ResourceSlot.CPU) ?? 0;
  const cpuLim = limits.get(ResourceSlot.CPU) ?? 0;
  const shares = cpuReq === 0 ? 2 : Math.min(262144, Math.max(2, Math.floor((cpuReq * 1024) / 1000)));
  const quota = node.enforceCpuLimits === false ? undefined : cpuLim === 0 ? 0 : Math.max(1000, Math.floor((cpuLim * period) / 1000));
  const weight = (s: number) => 1 + Math.floor(((s - 2) * 9999) / 262142);
  if (qos === "BestEffort") return { cpuShares: 2, cpuWeight: weight(2) };
  const declared = (slot: number) => pod.containers.every((c) => (slotOf(c.limits, slot) ?? 0) > 0);
  const cg: PodCgroupConfig = { cpuShares: shares, cpuWeight: weight(shares) };
  if (qos === "Guaranteed" || declared(ResourceSlot.CPU)) {
    if (quota !== undefined) cg.cpuQuota = quota;
    cg.cpuPeriod = period;
  }
  if (qos === "Guaranteed" || declared(ResourceSlot.Memory)) cg.memoryLimit = (limits.get(ResourceSlot.Memory) ?? 0) as Bytes;
  return cg;
}

function fromMap(m: RList, nres: number, withZeros: boolean): ResourceList {
  return listFromSlots((r) => (withZeros && r !== ResourceSlot.Pods ? (m.get(r) ?? 0) : m.get(r)), nres);
}

/** The pure-TS ResourceAccounting (test oracle; not a production path). */
export class TwinResourceAccounting implements ResourceAccounting {
  accountPods(pods: readonly PodResources[], node: NodeOptions): PodAccounting[] {
    const nres = slotsFor(pods.flatMap((p) => [p.overhead, ...p.containers.flatMap((c) => [c.requests, c.limits])]));
    return pods.map((pod) => {
      const overhead = toMap(pod.overhead, nres);
      const requests = aggregate(pod, nres, (c) => requestsOf(c, nres));
      add(requests, overhead);
      requests.delete(ResourceSlot.Pods); // pods is a node-side count, never a pod request
      const limits = aggregate(pod, nres, (c) => toMap(c.limits, nres));
      for (const [k, v] of overhead) if (limits.has(k) && limits.get(k) !== 0) limits.set(k, limits.get(k)! + v);
      const qos = qosOf(pod, nres);
      return {
        requests: fromMap(requests, nres, true),
        limits: fromMap(limits, nres, false),
        qos,
        cgroup: cgroupOf(pod, qos, requests, limits, node),
        oomScoreAdj: oomScoreAdj(pod, qos, nres, node.memoryCapacity),
      };
    });
  }

  nodeAllocatable(node: NodeReservation): ResourceList {
    const nres = slotsFor([node.capacity, node.kubeReserved, node.systemReserved]);
    const reserved: RList = new Map();
    add(reserved, toMap(node.kubeReserved, nres));
    add(reserved, toMap(node.systemReserved, nres));
    const capacity = toMap(node.capacity, nres);
    const threshold = (t: number | { fraction: number } | undefined, cap: number) =>
      t === undefined ? 0 : typeof t === "number" ? t : Math.trunc(cap * Math.fround(t.fraction));
    for (const [slot, t] of [[ResourceSlot.Memory, node.evictionHard?.memory], [ResourceSlot.EphemeralStorage, node.evictionHard?.ephemeralStorage]] as const) {
      if (capacity.has(slot)) reserved.set(slot, (reserved.get(slot) ?? 0) + threshold(t, capacity.get(slot)!));
    }
    const out: RList = new Map();
    for (const [k, v] of capacity) out.set(k, Math.max(0, v - (reserved.get(k) ?? 0)));
    return fromMap(out, nres, false);
  }

  admit(podRequests: readonly ResourceList[], node: NodeUsage, options: { sequential?: boolean } = {}): number[] {
    const nres = slotsFor([...podRequests, node.allocatable, node.requested]);
    const used = Array.from({ length: nres }, (_, r) => slotOf(node.requested, r) ?? 0);
    return podRequests.map((pod) => {
      let mask = 0;
      if (used[ResourceSlot.Pods]! + 1 > (node.allocatable.pods ?? 0)) mask |= 1 << ResourceSlot.Pods;
      for (let r = 0; r < nres; r++) {
        const want = slotOf(pod, r) ?? 0;
        if (r === ResourceSlot.Pods || want <= 0) continue;
        if (want > (slotOf(node.allocatable, r) ?? 0) - used[r]!) mask |= 1 << r;
      }
      if (mask === 0 && options.sequential) {
        for (let r = 0; r < nres; r++) used[r]! += r === ResourceSlot.Pods ? 1 : (slotOf(pod, r) ?? 0);
      }
      return mask;
    });
  }

  rankForEviction(pods: readonly EvictionCandidate[]): number[] {
    const byStats = (a: EvictionCandidate, b: EvictionCandidate) => Number(a.usage !== undefined) - Number(b.usage !== undefined);
    const exceeds = (p: EvictionCandidate) => p.usage !== undefined && p.usage > p.request;
    return pods.map((_, i) => i).sort((i, j) => {
      const a = pods[i]!, b = pods[j]!;
      return byStats(a, b) ||
        Number(exceeds(b)) - Number(exceeds(a)) ||
        a.priority - b.priority ||
        (a.usage !== undefined && b.usage !== undefined ? (b.usage - b.request) - (a.usage - a.request) : 0) ||
        i - j;
    });
  }
}
