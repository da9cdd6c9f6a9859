/**
 * TypeScript shapes of the CRI v1 messages in api.proto, exactly as a host decodes them with
 * proto-loader options `{ longs: Number, enums: String, defaults: true }`:
 *
 * - field names are camelCase (`pod_sandbox_id` -> `podSandboxId`);
 * - every scalar, list and map is present (proto3 zero value when the runtime left it unset),
 *   an unset sub-message is `null`;
 * - enums are their names as strings (`"CONTAINER_RUNNING"`);
 * - int64/uint64 are JS numbers. Byte counts and cgroup values stay far below 2^53 and are exact.
 *   Nanosecond timestamps (~1.8e18 today) are above 2^53 and come back rounded to a multiple of
 *   256 ns: the rounding is deterministic, so comparing two reads of the same value still works,
 *   but do not expect nanosecond exactness. Convert with `unixNanosToMillis`.
 * - `bytes` are Uint8Array (a Buffer on Node).
 *
 * Types here describe what the runtime returns. What the kubelet sends is `Outgoing<T>`: the same
 * shape with every field optional, since the runtime reads a missing field as its zero value.
 */

/** What the kubelet may send for message `T`: every field optional, recursively. */
export type Outgoing<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer E)[]
    ? Outgoing<E>[]
    : T extends object
      ? { [K in keyof T]?: Outgoing<T[K]> }
      : T;

/** A pod sandbox id, chosen by the runtime. */
export type PodSandboxId = string;
/** A container id, chosen by the runtime. */
export type ContainerId = string;
/** Nanoseconds since the Unix epoch (see the module note on precision); 0 means unset. */
export type UnixNanos = number;
/** Key-value string pairs (labels, annotations, sysctls, filters, verbose info). */
export type StringMap = Record<string, string>;

/** Milliseconds since the epoch for a CRI nanosecond timestamp (0 stays 0). */
export function unixNanosToMillis(ns: UnixNanos): number {
  return Math.floor(ns / 1e6);
}

// ------------------------------------------------------------------ enums

/** Port protocol of a sandbox port mapping. */
export type Protocol = "TCP" | "UDP" | "SCTP";
/** Mount propagation: rprivate, rslave, rshared. */
export type MountPropagation = "PROPAGATION_PRIVATE" | "PROPAGATION_HOST_TO_CONTAINER" | "PROPAGATION_BIDIRECTIONAL";
/** Whose namespace a container or sandbox uses. */
export type NamespaceMode = "POD" | "CONTAINER" | "NODE" | "TARGET";
/** Which seccomp/AppArmor profile applies. */
export type SecurityProfileType = "RuntimeDefault" | "Unconfined" | "Localhost";
/** State of a pod sandbox. */
export type PodSandboxState = "SANDBOX_READY" | "SANDBOX_NOTREADY";
/** State of a container. */
export type ContainerState = "CONTAINER_CREATED" | "CONTAINER_RUNNING" | "CONTAINER_EXITED" | "CONTAINER_UNKNOWN";

// ------------------------------------------------------------------ shared pieces

/** Runtime name and versions (Version). */
export interface VersionResponse { version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }

/** Sandbox resolv.conf settings. */
export interface DNSConfig { servers: string[]; searches: string[]; options: string[] }

/** A host port mapped to a sandbox port. */
export interface PortMapping { protocol: Protocol; containerPort: number; hostPort: number; hostIp: string }

/** A host path mounted into a container. */
export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  selinuxRelabel: boolean;
  propagation: MountPropagation;
}

/** One uid/gid range of a user namespace. */
export interface IDMapping { hostId: number; containerId: number; length: number }
/** User namespace settings of a sandbox. */
export interface UserNamespace { mode: NamespaceMode; uids: IDMapping[]; gids: IDMapping[] }
/** Network, PID and IPC namespace modes. */
export interface NamespaceOption {
  network: NamespaceMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  targetId: string;
  usernsOptions: UserNamespace | null;
}

/** An int64 that can be absent (null wrapper) rather than 0. */
export interface Int64Value { value: number }
/** A uint64 that can be absent (null wrapper) rather than 0. */
export interface UInt64Value { value: number }

/** SELinux label parts. */
export interface SELinuxOption { user: string; role: string; type: string; level: string }
/** A seccomp or AppArmor profile choice. */
export interface SecurityProfile { profileType: SecurityProfileType; localhostRef: string }
/** Capabilities to add and drop. */
export interface Capability { addCapabilities: string[]; dropCapabilities: string[]; addAmbientCapabilities: string[] }
/** One environment variable. */
export interface KeyValue { key: string; value: string }
/** An image reference (name, id or digest). */
export interface ImageSpec { image: string; annotations: StringMap }

/** cgroup settings of a container (or a sandbox's overhead and total). */
export interface LinuxContainerResources {
  cpuPeriod: number;
  cpuQuota: number;
  cpuShares: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
  cpusetCpus: string;
  cpusetMems: string;
  hugepageLimits: HugepageLimit[];
  /** cgroup v2 files, e.g. `{ "memory.high": "..." }`. */
  unified: StringMap;
  memorySwapLimitInBytes: number;
}
/** A hugetlb limit per page size ("2MB", "1GB"). */
export interface HugepageLimit { pageSize: string; limit: number }

// ------------------------------------------------------------------ pod sandboxes

/** Identity of a sandbox: the pod and the attempt. */
export interface PodSandboxMetadata { name: string; uid: string; namespace: string; attempt: number }

/** Security settings of a sandbox. */
export interface LinuxSandboxSecurityContext {
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  privileged: boolean;
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  /** Deprecated in favour of `seccomp`. */
  seccompProfilePath: string;
}

/** Linux settings of a sandbox. */
export interface LinuxPodSandboxConfig {
  /** cgroupfs syntax, e.g. `/kubepods/burstable/pod<uid>`. */
  cgroupParent: string;
  securityContext: LinuxSandboxSecurityContext | null;
  sysctls: StringMap;
  overhead: LinuxContainerResources | null;
  resources: LinuxContainerResources | null;
}

/** Everything needed to create a pod sandbox (RunPodSandbox); immutable for the sandbox's life. */
export interface PodSandboxConfig {
  metadata: PodSandboxMetadata | null;
  hostname: string;
  /** Host directory of the pod's container logs, e.g. `/var/log/pods/<ns>_<name>_<uid>`. */
  logDirectory: string;
  dnsConfig: DNSConfig | null;
  portMappings: PortMapping[];
  labels: StringMap;
  annotations: StringMap;
  linux: LinuxPodSandboxConfig | null;
}

/** Pod IP and any further IPs (dual stack). */
export interface PodSandboxNetworkStatus { ip: string; additionalIps: { ip: string }[] }

/** Full status of one sandbox (PodSandboxStatus). */
export interface PodSandboxStatus {
  id: PodSandboxId;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: UnixNanos;
  network: PodSandboxNetworkStatus | null;
  linux: { namespaces: { options: NamespaceOption | null } | null } | null;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

/** PodSandboxStatus result; `info` holds JSON strings and is filled only when verbose. */
export interface PodSandboxStatusResponse {
  status: PodSandboxStatus | null;
  info: StringMap;
  /** Filled only by runtimes with evented PLEG support (not containerd 1.6). */
  containersStatuses: ContainerStatus[];
  timestamp: UnixNanos;
}

/** Which sandboxes ListPodSandbox returns; all given fields must match. */
export interface PodSandboxFilter { id: PodSandboxId; state: { state: PodSandboxState } | null; labelSelector: StringMap }

/** One sandbox in a ListPodSandbox result. */
export interface PodSandbox {
  id: PodSandboxId;
  metadata: PodSandboxMetadata | null;
  state: PodSandboxState;
  createdAt: UnixNanos;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
}

// ------------------------------------------------------------------ containers

/** Identity of a container within its sandbox: name and restart attempt. */
export interface ContainerMetadata { name: string; attempt: number }
/** A host device made available in a container. */
export interface Device { containerPath: string; hostPath: string; permissions: string }

/** Security settings of a container. */
export interface LinuxContainerSecurityContext {
  capabilities: Capability | null;
  privileged: boolean;
  namespaceOptions: NamespaceOption | null;
  selinuxOptions: SELinuxOption | null;
  runAsUser: Int64Value | null;
  runAsGroup: Int64Value | null;
  runAsUsername: string;
  readonlyRootfs: boolean;
  supplementalGroups: number[];
  noNewPrivs: boolean;
  maskedPaths: string[];
  readonlyPaths: string[];
  seccomp: SecurityProfile | null;
  apparmor: SecurityProfile | null;
  /** Deprecated in favour of `apparmor`. */
  apparmorProfile: string;
  /** Deprecated in favour of `seccomp`. */
  seccompProfilePath: string;
}

/** Everything needed to create a container (CreateContainer). */
export interface ContainerConfig {
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  /** The entrypoint (Docker ENTRYPOINT); empty = the image's. */
  command: string[];
  args: string[];
  workingDir: string;
  envs: KeyValue[];
  mounts: Mount[];
  devices: Device[];
  labels: StringMap;
  annotations: StringMap;
  /** Relative to PodSandboxConfig.logDirectory, e.g. `<container>/<restartCount>.log`. */
  logPath: string;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: { resources: LinuxContainerResources | null; securityContext: LinuxContainerSecurityContext | null } | null;
}

/** Which containers ListContainers returns; all given fields must match. */
export interface ContainerFilter {
  id: ContainerId;
  state: { state: ContainerState } | null;
  podSandboxId: PodSandboxId;
  labelSelector: StringMap;
}

/** One container in a ListContainers result. */
export interface Container {
  id: ContainerId;
  podSandboxId: PodSandboxId;
  metadata: ContainerMetadata | null;
  image: ImageSpec | null;
  imageRef: string;
  state: ContainerState;
  createdAt: UnixNanos;
  labels: StringMap;
  annotations: StringMap;
}

/** Full status of one container (ContainerStatus). */
export interface ContainerStatus {
  id: ContainerId;
  metadata: ContainerMetadata | null;
  state: ContainerState;
  createdAt: UnixNanos;
  startedAt: UnixNanos;
  finishedAt: UnixNanos;
  exitCode: number;
  image: ImageSpec | null;
  imageRef: string;
  /** e.g. "Completed", "Error", "OOMKilled". */
  reason: string;
  message: string;
  labels: StringMap;
  annotations: StringMap;
  mounts: Mount[];
  /** Absolute path of the CRI-format log file. */
  logPath: string;
  resources: { linux: LinuxContainerResources | null } | null;
}

/** ContainerStatus result; `info` holds JSON strings (e.g. pid, OCI spec) only when verbose. */
export interface ContainerStatusResponse { status: ContainerStatus | null; info: StringMap }

/** Output of a command run to completion in a container (ExecSync). */
export interface ExecSyncResponse { stdout: Uint8Array; stderr: Uint8Array; exitCode: number }

/** A streaming exec session to prepare (Exec); the runtime answers with a URL. */
export interface ExecRequest { containerId: ContainerId; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }
/** An attach session to prepare (Attach); the runtime answers with a URL. */
export interface AttachRequest { containerId: ContainerId; stdin: boolean; tty: boolean; stdout: boolean; stderr: boolean }

// ------------------------------------------------------------------ images

/** An image known to the runtime. */
export interface Image {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** The image's user when numeric; null when it names a user or has none. */
  uid: Int64Value | null;
  username: string;
  spec: ImageSpec | null;
  pinned: boolean;
}

/** ImageStatus result: `image` is null when the image is not present. */
export interface ImageStatusResponse { image: Image | null; info: StringMap }

/** Registry credentials for a pull. */
export interface AuthConfig {
  username: string;
  password: string;
  auth: string;
  serverAddress: string;
  identityToken: string;
  registryToken: string;
}

// ------------------------------------------------------------------ runtime status

/** One runtime condition; "RuntimeReady" and "NetworkReady" are required for a Ready node. */
export interface RuntimeCondition { type: string; status: boolean; reason: string; message: string }
/** Status result: conditions, plus JSON `info` when verbose. */
export interface StatusResponse { status: { conditions: RuntimeCondition[] } | null; info: StringMap }

// Stats messages (ListContainerStats, ListPodSandboxStats, ImageFsInfo) live in statsTypes.ts.
export * from "./statsTypes.ts";
