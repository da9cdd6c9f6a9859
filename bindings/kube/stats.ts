/**
 * The kubelet Summary API (stats/v1alpha1, as upstream 1.20 serves it at `/stats/summary`), as
 * plain JSON shapes. Times are RFC 3339 seconds ("2006-01-02T15:04:05Z", metav1.Time); every
 * measured value is optional and absent when it could not be read, as upstream's omitempty pointers.
 */

/** One filesystem's usage (node fs, image fs, a container's rootfs or logs, a volume). */
export interface FsStats {
  time: string;
  availableBytes?: number;
  capacityBytes?: number;
  usedBytes?: number;
  inodesFree?: number;
  inodes?: number;
  inodesUsed?: number;
}

/** CPU: cumulative core-nanoseconds and the rate between the last two samples. */
export interface CPUStats { time: string; usageNanoCores?: number; usageCoreNanoSeconds?: number }

/** Memory; `workingSetBytes` (usage minus inactive file cache) is what eviction and `kubectl top` use. */
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

/** Traffic of one network interface. */
export interface InterfaceStats { name: string; rxBytes?: number; rxErrors?: number; txBytes?: number; txErrors?: number }

/** Network: the default interface inlined, then every interface. */
export interface NetworkStats extends InterfaceStats { time: string; interfaces?: InterfaceStats[] }

/** One container (or a system container: "kubelet", "runtime", "misc", "pods"). */
export interface ContainerStats {
  name: string;
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  rootfs?: FsStats;
  logs?: FsStats;
}

/** Which pod a PodStats is about. */
export interface PodReference { name: string; namespace: string; uid: string }

/** One volume of a pod (emptyDir, configMap, secret, ...). */
export interface VolumeStats extends FsStats { name: string; pvcRef?: { name: string; namespace: string } }

/** One pod: its containers, its cgroup's CPU and memory, volumes and ephemeral storage. */
export interface PodStats {
  podRef: PodReference;
  startTime: string;
  containers: ContainerStats[];
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  volume?: VolumeStats[];
  "ephemeral-storage"?: FsStats;
  process_stats?: { process_count?: number };
}

/** Process limits of the node. */
export interface RlimitStats { time: string; maxpid?: number; curproc?: number }

/** The node: root cgroup CPU and memory, the kubelet root dir's filesystem, the image filesystem. */
export interface NodeStats {
  nodeName: string;
  systemContainers?: ContainerStats[];
  startTime: string;
  cpu?: CPUStats;
  memory?: MemoryStats;
  network?: NetworkStats;
  fs?: FsStats;
  runtime?: { imageFs?: FsStats };
  rlimit?: RlimitStats;
}

/** The whole `/stats/summary` answer. */
export interface Summary { node: NodeStats; pods: PodStats[] }

/** System container names upstream uses. */
export const SYSTEM_CONTAINER_KUBELET = "kubelet";
export const SYSTEM_CONTAINER_RUNTIME = "runtime";
export const SYSTEM_CONTAINER_PODS = "pods";
