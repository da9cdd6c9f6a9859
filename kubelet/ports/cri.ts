/**
 * The `Cri` port: the container runtime's RuntimeService and ImageService (CRI v1), as the
 * kubelet's control loops call them. Hosts implement it over gRPC on the runtime's unix socket
 * (hosts/node/cri.ts). Methods mirror upstream's `internalapi.RuntimeService` /
 * `ImageManagerService`, one method per RPC, with the CRI message shapes of bindings/cri/types.ts.
 */
import type {
  AttachRequest, AuthConfig, Container, ContainerConfig, ContainerFilter, ContainerId, ContainerStats,
  ContainerStatsFilter, ContainerStatusResponse, ExecRequest, ExecSyncResponse, FilesystemUsage, Image,
  ImageSpec, ImageStatusResponse, LinuxContainerResources, Outgoing, PodSandbox, PodSandboxConfig,
  PodSandboxFilter, PodSandboxId, PodSandboxStats, PodSandboxStatsFilter, PodSandboxStatusResponse,
  StatusResponse, StringMap, VersionResponse,
} from "../../bindings/cri/types.ts";

/** gRPC status names as upstream Go prints them (`codes.Code.String()`), indexed by numeric code. */
export const CRI_ERROR_CODES = [
  "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
  "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange",
  "Unimplemented", "Internal", "Unavailable", "DataLoss", "Unauthenticated",
] as const;

/** A gRPC status name, e.g. "NotFound", "Unavailable", "DeadlineExceeded". */
export type CriErrorCode = (typeof CRI_ERROR_CODES)[number];

/** The status name for a numeric gRPC code ("Unknown" for codes outside the table). */
export function criErrorCode(code: number): CriErrorCode {
  return CRI_ERROR_CODES[code] ?? "Unknown";
}

/**
 * A failed CRI call. `code` tells the kind of failure (NotFound: the id is gone; Unavailable: the
 * runtime is not reachable; DeadlineExceeded: no answer in time; ...), `details` is the runtime's
 * own message, `method` the RPC (or "connect").
 */
export class CriError extends Error {
  override readonly name = "CriError";
  constructor(readonly code: CriErrorCode, readonly method: string, readonly details: string) {
    super(`CRI ${method}: ${code}: ${details}`);
  }
}

/** True when `err` is a CriError (with the given code, if one is given). */
export function isCriError(err: unknown, code?: CriErrorCode): err is CriError {
  return err instanceof CriError && (code === undefined || err.code === code);
}

/** Per-call options; every method takes them last. */
export interface CriCallOptions {
  /** Deadline for this call in milliseconds, replacing the host's default for the method. */
  timeoutMs?: number;
  /** Aborting cancels the call; it then fails with code "Canceled". */
  signal?: AbortSignal;
}

/** RuntimeService + ImageService of a CRI v1 container runtime. */
export interface Cri {
  /** The endpoint this port talks to, for messages (e.g. "unix:///run/containerd/containerd.sock"). */
  readonly endpoint: string;

  /** Runtime name and versions; `runtimeApiVersion` is "v1" for a CRI v1 runtime. */
  version(call?: CriCallOptions): Promise<VersionResponse>;
  /** Runtime conditions (RuntimeReady, NetworkReady); `info` only when verbose. */
  status(verbose?: boolean, call?: CriCallOptions): Promise<StatusResponse>;
  /** Tells the runtime the node's pod CIDR. */
  updateRuntimeConfig(podCidr: string, call?: CriCallOptions): Promise<void>;

  /** Creates and starts a pod sandbox; resolves to its id. `runtimeHandler` "" = default. */
  runPodSandbox(config: Outgoing<PodSandboxConfig>, runtimeHandler?: string, call?: CriCallOptions): Promise<PodSandboxId>;
  /** Stops the sandbox and all its containers, releases its network; idempotent. */
  stopPodSandbox(podSandboxId: PodSandboxId, call?: CriCallOptions): Promise<void>;
  /** Removes a sandbox and its containers; idempotent. */
  removePodSandbox(podSandboxId: PodSandboxId, call?: CriCallOptions): Promise<void>;
  /** Status of one sandbox; fails with NotFound when it does not exist. */
  podSandboxStatus(podSandboxId: PodSandboxId, verbose?: boolean, call?: CriCallOptions): Promise<PodSandboxStatusResponse>;
  /** Sandboxes matching every given filter field (all when no filter). */
  listPodSandbox(filter?: Outgoing<PodSandboxFilter>, call?: CriCallOptions): Promise<PodSandbox[]>;

  /** Creates a container in a sandbox (not started); resolves to its id. */
  createContainer(
    podSandboxId: PodSandboxId, config: Outgoing<ContainerConfig>, sandboxConfig: Outgoing<PodSandboxConfig>,
    call?: CriCallOptions,
  ): Promise<ContainerId>;
  /** Starts a created container. */
  startContainer(containerId: ContainerId, call?: CriCallOptions): Promise<void>;
  /** Stops a container: SIGTERM, then SIGKILL after `timeoutSeconds`; idempotent. */
  stopContainer(containerId: ContainerId, timeoutSeconds: number, call?: CriCallOptions): Promise<void>;
  /** Removes a container (killing it if running); idempotent. */
  removeContainer(containerId: ContainerId, call?: CriCallOptions): Promise<void>;
  /** Containers matching every given filter field (all when no filter). */
  listContainers(filter?: Outgoing<ContainerFilter>, call?: CriCallOptions): Promise<Container[]>;
  /** Status of one container; fails with NotFound when it does not exist. */
  containerStatus(containerId: ContainerId, verbose?: boolean, call?: CriCallOptions): Promise<ContainerStatusResponse>;
  /** Changes a running container's cgroup settings. */
  updateContainerResources(
    containerId: ContainerId, linux: Outgoing<LinuxContainerResources>, annotations?: StringMap, call?: CriCallOptions,
  ): Promise<void>;
  /** Makes the runtime reopen the container's log file (after the kubelet rotated it). */
  reopenContainerLog(containerId: ContainerId, call?: CriCallOptions): Promise<void>;

  /** Runs `cmd` in a running container and waits for it (exec probes); 0 = no timeout. */
  execSync(containerId: ContainerId, cmd: string[], timeoutSeconds: number, call?: CriCallOptions): Promise<ExecSyncResponse>;
  /** Prepares a streaming exec; resolves to the runtime's streaming URL. */
  exec(request: Outgoing<ExecRequest>, call?: CriCallOptions): Promise<string>;
  /** Prepares a streaming attach; resolves to the runtime's streaming URL. */
  attach(request: Outgoing<AttachRequest>, call?: CriCallOptions): Promise<string>;
  /** Prepares a port-forward into a sandbox; resolves to the runtime's streaming URL. */
  portForward(podSandboxId: PodSandboxId, ports: number[], call?: CriCallOptions): Promise<string>;

  /** Resource usage of one container (null if the runtime has none yet). */
  containerStats(containerId: ContainerId, call?: CriCallOptions): Promise<ContainerStats | null>;
  /** Resource usage of the matching containers. */
  listContainerStats(filter?: Outgoing<ContainerStatsFilter>, call?: CriCallOptions): Promise<ContainerStats[]>;
  /** Resource usage of one sandbox and its containers (null if the runtime has none yet). */
  podSandboxStats(podSandboxId: PodSandboxId, call?: CriCallOptions): Promise<PodSandboxStats | null>;
  /** Resource usage of the matching sandboxes. */
  listPodSandboxStats(filter?: Outgoing<PodSandboxStatsFilter>, call?: CriCallOptions): Promise<PodSandboxStats[]>;

  /** Images present on the node; `filter` may be ignored (containerd 1.6 does). */
  listImages(filter?: Outgoing<ImageSpec>, call?: CriCallOptions): Promise<Image[]>;
  /** The image if present (`image` null when not). */
  imageStatus(image: Outgoing<ImageSpec>, verbose?: boolean, call?: CriCallOptions): Promise<ImageStatusResponse>;
  /** Pulls an image; resolves to its reference (image id or digest) as the runtime names it. */
  pullImage(
    image: Outgoing<ImageSpec>, auth?: Outgoing<AuthConfig>, sandboxConfig?: Outgoing<PodSandboxConfig>, call?: CriCallOptions,
  ): Promise<string>;
  /** Removes an image; idempotent. */
  removeImage(image: Outgoing<ImageSpec>, call?: CriCallOptions): Promise<void>;
  /** Usage of the filesystem(s) holding images. */
  imageFsInfo(call?: CriCallOptions): Promise<FilesystemUsage[]>;

  /** Closes the connection; later calls fail. */
  close(): void;
}
