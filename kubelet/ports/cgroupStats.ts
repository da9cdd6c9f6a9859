/**
 * Reading a cgroup's CPU and memory accounting: what cAdvisor gives upstream's stats provider for the
 * node (root cgroup), the pods cgroup and each pod cgroup. Hosts: hosts/node/cgroupStats.ts (also
 * used by the Deno host); cgroup v1 (and hybrid) and v2 hierarchies.
 */

/** One reading of a cgroup's accounting; every field is absent when the host could not read it. */
export interface CgroupStats {
  /** Cumulative CPU time of every task in the cgroup, in nanoseconds (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  cpuUsageNanos?: number;
  /** Memory charged to the cgroup (v1 memory.usage_in_bytes, v2 memory.current). */
  memoryUsageBytes?: number;
  /** File cache the kernel reclaims first (v1 total_inactive_file, v2 inactive_file): working set = usage - this. */
  memoryInactiveFileBytes?: number;
  /** Anonymous memory (v1 total_rss, v2 anon). */
  memoryRssBytes?: number;
  /** Cumulative page faults (pgfault) and major page faults (pgmajfault). */
  pageFaults?: number;
  majorPageFaults?: number;
  /** The memory limit; absent when unlimited. */
  memoryLimitBytes?: number;
  /** Processes in the cgroup and its descendants (cgroup.procs); not counted for the root. */
  processCount?: number;
  /** When the cgroup was created (its directory's modification time, as cAdvisor takes it), ms since the epoch. */
  createdAtMs?: number;
}

/** Reads cgroup accounting by path (cgroupfs names: "/" is the whole node, "/kubepods/burstable/pod<uid>" a pod). */
export interface CgroupStatsReader {
  /** The cgroup's accounting now; undefined when the cgroup does not exist. */
  stats(path: string): Promise<CgroupStats | undefined>;
}
