/**
 * TypeScript shapes of the CRI v1 stats messages (ImageFsInfo, ContainerStats, ListContainerStats,
 * ListPodSandboxStats), decoded as described in types.ts; re-exported from there.
 */
import type { ContainerId, ContainerMetadata, PodSandboxId, PodSandboxMetadata, StringMap, UInt64Value, UnixNanos } from "./types.ts";

/** Usage of one filesystem (image filesystem, or a container's writable layer). */
export interface FilesystemUsage {
  timestamp: UnixNanos;
  fsId: { mountpoint: string } | null;
  usedBytes: UInt64Value | null;
  inodesUsed: UInt64Value | null;
}

/** CPU usage: cumulative core-nanoseconds and the runtime's current rate. */
export interface CpuUsage { timestamp: UnixNanos; usageCoreNanoSeconds: UInt64Value | null; usageNanoCores: UInt64Value | null }

/** Memory usage; `workingSetBytes` is what eviction and `kubectl top` use. */
export interface MemoryUsage {
  timestamp: UnixNanos;
  workingSetBytes: UInt64Value | null;
  availableBytes: UInt64Value | null;
  usageBytes: UInt64Value | null;
  rssBytes: UInt64Value | null;
  pageFaults: UInt64Value | null;
  majorPageFaults: UInt64Value | null;
}

/** Which container the stats belong to. */
export interface ContainerAttributes { id: ContainerId; metadata: ContainerMetadata | null; labels: StringMap; annotations: StringMap }

/** Resource usage of one container. */
export interface ContainerStats {
  attributes: ContainerAttributes | null;
  cpu: CpuUsage | null;
  memory: MemoryUsage | null;
  writableLayer: FilesystemUsage | null;
}

/** Which containers ListContainerStats reports on. */
export interface ContainerStatsFilter { id: ContainerId; podSandboxId: PodSandboxId; labelSelector: StringMap }

/** Traffic of one network interface. */
export interface NetworkInterfaceUsage {
  name: string;
  rxBytes: UInt64Value | null;
  rxErrors: UInt64Value | null;
  txBytes: UInt64Value | null;
  txErrors: UInt64Value | null;
}

/** Resource usage of one pod sandbox and its containers. */
export interface PodSandboxStats {
  attributes: { id: PodSandboxId; metadata: PodSandboxMetadata | null; labels: StringMap; annotations: StringMap } | null;
  linux: {
    cpu: CpuUsage | null;
    memory: MemoryUsage | null;
    network: { timestamp: UnixNanos; defaultInterface: NetworkInterfaceUsage | null; interfaces: NetworkInterfaceUsage[] } | null;
    process: { timestamp: UnixNanos; processCount: UInt64Value | null } | null;
    containers: ContainerStats[];
  } | null;
}

/** Which sandboxes ListPodSandboxStats reports on. */
export interface PodSandboxStatsFilter { id: PodSandboxId; labelSelector: StringMap }
