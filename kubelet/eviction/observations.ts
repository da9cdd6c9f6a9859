/**
 * The eviction manager's view of a stats Summary, as upstream's makeSignalObservations builds it:
 * memory.available from the node's memory (capacity = available + working set), nodefs from the
 * kubelet root dir's filesystem, imagefs from the runtime's image filesystem, pid.available from the
 * process limit; per pod its working set, and its ephemeral storage (containers' writable layers
 * and logs plus its local volumes), as upstream's podDiskUsage adds them.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import type { FsStats, PodStats, Summary } from "../../bindings/kube/stats.ts";
import type { NodeObservation, Observations, PodUsage } from "./evictionManager.ts";

const at = (time: string | undefined) => (time ? Date.parse(time) : 0);

function fsObservations(fs: FsStats | undefined, bytes: "nodefs.available" | "imagefs.available", inodes: "nodefs.inodesFree" | "imagefs.inodesFree", out: Observations): void {
  if (!fs) return;
  if (fs.availableBytes !== undefined && fs.capacityBytes !== undefined) out[bytes] = { available: fs.availableBytes, capacity: fs.capacityBytes, time: at(fs.time) };
  if (fs.inodesFree !== undefined && fs.inodes !== undefined) out[inodes] = { available: fs.inodesFree, capacity: fs.inodes, time: at(fs.time) };
}

const used = (f: FsStats | undefined) => f?.usedBytes ?? 0;

function podUsage(p: PodStats): PodUsage {
  const containers = p.containers.map((c) => ({
    name: c.name,
    memory: c.memory?.workingSetBytes,
    ephemeralStorage: c.rootfs || c.logs ? used(c.rootfs) + used(c.logs) : undefined,
  }));
  const memory = p.memory?.workingSetBytes ?? (containers.some((c) => c.memory !== undefined) ? containers.reduce((n, c) => n + (c.memory ?? 0), 0) : undefined);
  const volumes = (p.volume ?? []).filter((v) => !v.pvcRef).reduce((n, v) => n + used(v), 0);
  const ephemeralStorage = p["ephemeral-storage"]?.usedBytes
    ?? (containers.some((c) => c.ephemeralStorage !== undefined) || volumes > 0 ? containers.reduce((n, c) => n + (c.ephemeralStorage ?? 0), 0) + volumes : undefined);
  const localVolumes = (p.volume ?? []).filter((v) => !v.pvcRef && v.usedBytes !== undefined).map((v) => ({ name: v.name, usedBytes: v.usedBytes! }));
  return { memory, ephemeralStorage, containers, volumes: localVolumes };
}

/** Signal observations and pod usage (by pod UID) from `summary`. */
export function summaryObservation(summary: Summary): NodeObservation {
  const signals: Observations = {};
  const mem = summary.node.memory;
  if (mem?.availableBytes !== undefined && mem.workingSetBytes !== undefined) {
    signals["memory.available"] = { available: mem.availableBytes, capacity: mem.availableBytes + mem.workingSetBytes, time: at(mem.time) };
  }
  fsObservations(summary.node.fs, "nodefs.available", "nodefs.inodesFree", signals);
  fsObservations(summary.node.runtime?.imageFs, "imagefs.available", "imagefs.inodesFree", signals);
  const rl = summary.node.rlimit;
  if (rl?.maxpid !== undefined && rl.curproc !== undefined) signals["pid.available"] = { available: rl.maxpid - rl.curproc, capacity: rl.maxpid, time: at(rl.time) };
  const pods = new Map<string, PodUsage>();
  for (const p of summary.pods ?? []) pods.set(p.podRef.uid, podUsage(p));
  return { signals, pods };
}

/** upstream's scheduling.SystemCriticalPriority. */
export const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** Upstream IsCriticalPod: static pods, mirror pods, and pods at system-critical priority or above. */
export function isCriticalPod(pod: Pod): boolean {
  const a = pod.metadata.annotations ?? {};
  const source = a["kubernetes.io/config.source"];
  if (source !== undefined && source !== "api") return true;
  if (a["kubernetes.io/config.mirror"] !== undefined) return true;
  return (pod.spec.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY;
}
