/**
 * Node allocatable enforcement (upstream cm/node_container_manager_linux.go, cgroupsPerQOS with
 * enforceNodeAllocatable ["pods"]): the values of the `/kubepods` cgroup that every pod lives under.
 * With "pods" enforced they come from capacity − kube-reserved − system-reserved, *without* the hard
 * eviction threshold (upstream getNodeAllocatableAbsolute: eviction must get a chance to act before
 * the kernel's OOM killer does); without it, from capacity (cpu.shares would otherwise stay at the
 * kernel's default 1024 and starve pods).
 */
import type { QuantityParser } from "../../bindings/core/quantity.ts";
import type { Bytes, MilliCPU, ResourceAccounting as CoreAccounting, ResourceList } from "../../bindings/core/resources.ts";
import type { CgroupLimits } from "../ports/cgroups.ts";

/** The cgroup (below cgroupRoot) that holds every pod: upstream defaultNodeAllocatableCgroupName. */
export const NODE_ALLOCATABLE_CGROUP = "kubepods";

/** Upstream's enforceNodeAllocatable key for the pods cgroup. */
export const ENFORCE_PODS = "pods";

/** A parsed kubeReserved / systemReserved map. */
export interface Reservation {
  list: ResourceList;
  /** The "pid" entry (process IDs), which resource lists of the core do not carry. */
  pids?: number;
}

/** An invalid kubeReserved / systemReserved entry, naming the field. */
export class ReservationError extends Error {}

/**
 * Parses `kubeReserved` / `systemReserved` (cpu, memory, ephemeral-storage, pid); other names are
 * ignored as upstream ignores resources the node does not report.
 */
export function parseReservation(map: Readonly<Record<string, string>>, field: string, quantities: QuantityParser): Reservation {
  const names = Object.keys(map).filter((n) => n === "cpu" || n === "memory" || n === "ephemeral-storage" || n === "pid");
  const parsed = quantities.parseMany(names.map((n) => String(map[n])));
  const out: Reservation = { list: {} };
  names.forEach((name, i) => {
    const q = parsed[i]!;
    if (!q.ok) throw new ReservationError(`${field}.${name}: invalid quantity "${map[name]}": ${q.message}`);
    if (q.value < 0n) throw new ReservationError(`${field}.${name}: must be greater than or equal to 0`);
    if (name === "cpu") out.list.cpu = Number(q.milli) as MilliCPU;
    else if (name === "memory") out.list.memory = Number(q.value) as Bytes;
    else if (name === "ephemeral-storage") out.list.ephemeralStorage = Number(q.value) as Bytes;
    else out.pids = Number(q.value);
  });
  return out;
}

/** What the `/kubepods` values are computed from. */
export interface NodeAllocatableInputs {
  /** Node capacity (cpu, memory). */
  capacity: ResourceList;
  /** The kernel's pid_max, when known (upstream's internal "pid" capacity). */
  pidMax?: number;
  kubeReserved: Reservation;
  systemReserved: Reservation;
  /** config.enforceNodeAllocatable */
  enforceNodeAllocatable: readonly string[];
}

/**
 * The `/kubepods` cgroup values (upstream getCgroupConfig of the enforced allocatable): cpu.shares
 * from the cpu, memory.limit_in_bytes from the memory, pids.max from the pids. The arithmetic runs in
 * the core (nodeAllocatable with no eviction threshold; `cpuShares` is the core's MilliCPUToShares).
 */
export function nodeAllocatableCgroupLimits(
  inputs: NodeAllocatableInputs, core: Pick<CoreAccounting, "nodeAllocatable">, cpuShares: (milli: number) => number,
): CgroupLimits {
  const enforce = inputs.enforceNodeAllocatable.includes(ENFORCE_PODS);
  const capacity: ResourceList = { cpu: inputs.capacity.cpu, memory: inputs.capacity.memory };
  const absolute = enforce
    ? core.nodeAllocatable({ capacity, kubeReserved: inputs.kubeReserved.list, systemReserved: inputs.systemReserved.list })
    : capacity;
  const limits: CgroupLimits = {};
  if (absolute.cpu !== undefined) limits.cpuShares = cpuShares(absolute.cpu);
  if (absolute.memory !== undefined) limits.memoryLimitBytes = absolute.memory;
  if (inputs.pidMax !== undefined) {
    const reserved = enforce ? (inputs.kubeReserved.pids ?? 0) + (inputs.systemReserved.pids ?? 0) : 0;
    limits.pidsLimit = Math.max(inputs.pidMax - reserved, 0);
  }
  return limits;
}
