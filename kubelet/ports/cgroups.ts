/** The `Cgroups` port: the pod and QoS cgroups the kubelet owns (runc creates container cgroups under them). */

import type { CgroupStats } from "./cgroupStats.ts";

/** Values written to a pod-level cgroup; undefined leaves the runtime default. */
export interface CgroupLimits {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimitBytes?: number;
  pidsLimit?: number;
}

/** Cgroup operations on a path such as `/kubepods/burstable/pod<uid>` (cgroupfs driver). */
export interface Cgroups {
  /** Creates the cgroup (and parents) in every controller the kubelet uses, applying `limits`. */
  ensure(path: string, limits?: CgroupLimits): Promise<void>;
  /** Removes the cgroup; fails quietly when processes remain (the next cleanup retries). */
  remove(path: string): Promise<boolean>;
  /** True when the cgroup exists in any controller. */
  exists(path: string): Promise<boolean>;
  /** Child cgroup names under `path` (from the first controller that has it). */
  children(path: string): Promise<string[]>;
  /**
   * CPU and memory accounting of the cgroup at `path` ("/" is the whole node); undefined when it does
   * not exist. Optional: a host without it gets a Summary without the cgroup-based CPU and memory
   * (both hosts have it, through hosts/node/cgroupStats.ts).
   */
  stats?(path: string): Promise<CgroupStats | undefined>;
  /**
   * Writes `limits` to an existing cgroup (QoS and node allocatable cgroups change as pods come and
   * go). Resolves to the writes that failed, e.g. a memory limit below the cgroup's current usage;
   * empty when every value was applied.
   */
  set(path: string, limits: CgroupLimits): Promise<CgroupWriteFailure[]>;
}

/** One cgroup file the kernel refused to take. */
export interface CgroupWriteFailure {
  /** e.g. "memory.limit_in_bytes" */
  file: string;
  value: number;
  message: string;
}
