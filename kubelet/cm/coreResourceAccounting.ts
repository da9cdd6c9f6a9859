/**
 * The kubelet's ResourceAccounting over the Wasm core: quantities parsed by the core's quantity
 * parser, pod effective requests/limits, QoS, cgroup values, oom_score_adj and admission computed by
 * the core's resource module. Results are cached per pod object (pods are replaced, never mutated).
 */
import type { Container, Pod, QuantityString } from "../../bindings/kube/types.ts";
import type { QuantityParser } from "../../bindings/core/quantity.ts";
import {
  insufficientResources, type Bytes, type ContainerResources, type MilliCPU, type NodeOptions, type PodAccounting,
  type ResourceAccounting as CoreAccounting, type ResourceList,
} from "../../bindings/core/resources.ts";
import type { CgroupLimits } from "../ports/cgroups.ts";
import type { QosAccounting } from "./qosContainerManager.ts";
import type { AdmissionFailure, ContainerResourceValues, QosClass, ResourceAccounting } from "./resourceAccounting.ts";

/** An invalid quantity in a pod spec, naming the field. */
export class QuantityFieldError extends Error {}

interface PodFacts { accounting: PodAccounting; perContainer: Map<string, PodAccounting>; requests: ResourceList }

const NODE_CRITICAL = new Set(["system-node-critical", "system-cluster-critical"]);

/** ResourceAccounting for one node, backed by core.wasm. */
export class CoreResourceAccounting implements ResourceAccounting, QosAccounting {
  private readonly cache = new WeakMap<Pod, PodFacts>();
  private readonly extendedIds = new Map<string, number>();

  constructor(
    private readonly quantities: QuantityParser,
    private readonly core: CoreAccounting,
    private readonly node: NodeOptions,
    /** Node allocatable (cpu, memory, ephemeral-storage, pods). */
    private readonly allocatable: ResourceList,
  ) {}

  /** Parses `name: quantity` entries of a requests/limits map into a ResourceList. */
  resourceList(map: Record<string, QuantityString> | undefined, field: string): ResourceList | undefined {
    if (!map) return undefined;
    const names = Object.keys(map);
    if (names.length === 0) return undefined;
    const parsed = this.quantities.parseMany(names.map((n) => String(map[n])));
    const list: ResourceList = {};
    const extended: (number | undefined)[] = [];
    names.forEach((name, i) => {
      const q = parsed[i]!;
      if (!q.ok) throw new QuantityFieldError(`${field}.${name}: invalid quantity "${map[name]}": ${q.message}`);
      if (q.value < 0n) throw new QuantityFieldError(`${field}.${name}: must be greater than or equal to 0`);
      if (name === "cpu") list.cpu = Number(q.milli) as MilliCPU;
      else if (name === "memory") list.memory = Number(q.value) as Bytes;
      else if (name === "ephemeral-storage") list.ephemeralStorage = Number(q.value) as Bytes;
      else if (name.includes("/") || name.startsWith("hugepages-")) {
        let id = this.extendedIds.get(name);
        if (id === undefined) this.extendedIds.set(name, (id = this.extendedIds.size));
        extended[id] = Number(q.value);
      }
    });
    if (extended.length > 0) list.extended = extended;
    return list;
  }

  private containerResources_(c: Container, kind: ContainerResources["kind"], field: string): ContainerResources {
    return { kind, requests: this.resourceList(c.resources?.requests, `${field}.resources.requests`), limits: this.resourceList(c.resources?.limits, `${field}.resources.limits`) };
  }

  private facts(pod: Pod): PodFacts {
    const cached = this.cache.get(pod);
    if (cached) return cached;
    const inits = (pod.spec.initContainers ?? []).map((c, i) => this.containerResources_(c, c.restartPolicy === "Always" ? "sidecar" : "init", `spec.initContainers[${i}]`));
    const apps = pod.spec.containers.map((c, i) => this.containerResources_(c, "app", `spec.containers[${i}]`));
    const nodeCritical = NODE_CRITICAL.has(pod.spec.priorityClassName ?? "");
    const overhead = this.resourceList(pod.spec.overhead, "spec.overhead");
    const all = [...inits, ...apps];
    const names = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].map((c) => c.name);
    // One batch: the pod itself, then each container alone (a one-container pod's cgroup values
    // are exactly that container's CRI resource values).
    const results = this.core.accountPods(
      [{ containers: all, overhead, nodeCritical }, ...all.map((c) => ({ containers: [{ ...c, kind: "app" as const }], nodeCritical }))],
      this.node,
    );
    const perContainer = new Map(names.map((n, i) => [n, results[i + 1]!]));
    const facts = { accounting: results[0]!, perContainer, requests: results[0]!.requests };
    this.cache.set(pod, facts);
    return facts;
  }

  qosClass(pod: Pod): QosClass {
    try {
      return this.facts(pod).accounting.qos;
    } catch {
      return "BestEffort";
    }
  }

  containerResources(pod: Pod, container: Container): ContainerResourceValues {
    const f = this.facts(pod);
    const one = f.perContainer.get(container.name)!;
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
    const idx = all.findIndex((c) => c.name === container.name);
    return {
      cpuShares: one.cgroup.cpuShares,
      cpuQuota: one.cgroup.cpuQuota ?? 0,
      cpuPeriod: one.cgroup.cpuPeriod ?? this.node.cpuPeriodUs ?? 100_000,
      memoryLimitInBytes: one.cgroup.memoryLimit ?? 0,
      oomScoreAdj: f.accounting.oomScoreAdj[idx] ?? 0,
    };
  }

  podCgroupLimits(pod: Pod): CgroupLimits {
    const c = this.facts(pod).accounting.cgroup;
    return { cpuShares: c.cpuShares, cpuQuota: c.cpuQuota, cpuPeriod: c.cpuQuota !== undefined ? c.cpuPeriod : undefined, memoryLimitBytes: c.memoryLimit };
  }

  /** The pod's effective cpu request (QoS tier shares); 0 when its resources are invalid. */
  podCpuRequestMilli(pod: Pod): number {
    try {
      return this.facts(pod).requests.cpu ?? 0;
    } catch {
      return 0;
    }
  }

  /** The pod's effective request of memory or ephemeral-storage in bytes (eviction ranking); 0 when none or invalid. */
  podRequestBytes(pod: Pod, resource: "memory" | "ephemeral-storage"): number {
    try {
      const r = this.facts(pod).requests;
      return (resource === "memory" ? r.memory : r.ephemeralStorage) ?? 0;
    } catch {
      return 0;
    }
  }

  /** One container's request of memory or ephemeral-storage in bytes; 0 when none or invalid. */
  containerRequestBytes(pod: Pod, container: string, resource: "memory" | "ephemeral-storage"): number {
    try {
      const r = this.facts(pod).perContainer.get(container)?.requests;
      return (resource === "memory" ? r?.memory : r?.ephemeralStorage) ?? 0;
    } catch {
      return 0;
    }
  }

  /** cpu.shares for `milli` milli-CPU, from the core (a one-container pod requesting exactly that). */
  cpuShares(milli: number): number {
    const [one] = this.core.accountPods([{ containers: [{ kind: "app", requests: { cpu: milli as MilliCPU } }] }], this.node);
    return one!.cgroup.cpuShares;
  }

  admit(pod: Pod, admitted: readonly Pod[]): AdmissionFailure | undefined {
    let mine: ResourceList;
    try {
      mine = this.facts(pod).requests;
    } catch (err) {
      return { reason: "UnexpectedAdmissionError", message: `resources are invalid: ${(err as Error).message}`, rejectedAtAdmission: true };
    }
    const used: ResourceList = { cpu: 0 as MilliCPU, memory: 0 as Bytes, ephemeralStorage: 0 as Bytes, pods: 0 };
    for (const p of admitted) {
      let r: ResourceList;
      try { r = this.facts(p).requests; } catch { continue; }
      used.cpu = ((used.cpu ?? 0) + (r.cpu ?? 0)) as MilliCPU;
      used.memory = ((used.memory ?? 0) + (r.memory ?? 0)) as Bytes;
      used.ephemeralStorage = ((used.ephemeralStorage ?? 0) + (r.ephemeralStorage ?? 0)) as Bytes;
      used.pods = (used.pods ?? 0) + 1;
    }
    const [mask] = this.core.admit([{ ...mine, pods: 1 }], { allocatable: this.allocatable, requested: used });
    if (!mask) return undefined;
    const name = insufficientResources(mask)[0]!;
    const pick = (l: ResourceList): number => name === "pods" ? l.pods ?? 0 : name === "cpu" ? l.cpu ?? 0 : name === "memory" ? l.memory ?? 0 : name === "ephemeral-storage" ? l.ephemeralStorage ?? 0 : 0;
    const requested = name === "pods" ? 1 : pick(mine);
    const usedN = pick(used);
    const capacity = pick(this.allocatable);
    return { reason: `OutOf${name}`, message: `Node didn't have enough resource: ${name}, requested: ${requested}, used: ${usedN}, capacity: ${capacity}`, rejectedAtAdmission: true };
  }
}
