/**
 * The `Cri` port on Node: CRI v1 over gRPC (@grpc/grpc-js) on the runtime's unix socket.
 *
 * The schema comes from bindings/cri/apiDescriptor.ts (api.proto embedded as a JSON descriptor,
 * loaded with proto-loader's `fromJSON`), so nothing is read from disk: this works the same from
 * source (tsx), in the esbuild CJS bundle and in the single executable.
 */
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import { CRI_API_DESCRIPTOR } from "../../bindings/cri/apiDescriptor.ts";
import type { Container, ContainerStats, FilesystemUsage, Image, PodSandbox, PodSandboxStats } from "../../bindings/cri/types.ts";
import { CriError, type Cri, type CriCallOptions } from "../../kubelet/ports/cri.ts";
import { unaryCall, type CallContext } from "./criCall.ts";
import { diagnoseSocket, parseCriEndpoint } from "./criEndpoint.ts";

/** Options of `connectCri`; every field has a default. */
export interface CriConnectOptions {
  /** How long `connectCri` waits for the runtime to accept a connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** Deadline of a call without a specific one below. Default 10 s. */
  timeoutMs?: number;
  /** Deadline of PullImage. Default 2 min. */
  pullImageTimeoutMs?: number;
  /** Deadline of RunPodSandbox (CNI setup can be slow on a loaded node). Default 1 min. */
  runPodSandboxTimeoutMs?: number;
  /**
   * false (default): while the runtime is unreachable, calls fail at once with Unavailable and the
   * caller's loop retries. true: calls wait for the reconnect until their deadline.
   */
  waitForReady?: boolean;
  /** Largest message sent or received; ListContainers on a full node is big. Default 16 MiB. */
  maxMessageBytes?: number;
}

const DEFAULTS: Required<CriConnectOptions> = {
  connectTimeoutMs: 10_000,
  timeoutMs: 10_000,
  pullImageTimeoutMs: 120_000,
  runPodSandboxTimeoutMs: 60_000,
  waitForReady: false,
  maxMessageBytes: 16 * 1024 * 1024,
};

type ServiceConstructor = new (target: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => grpc.Client;

let services: { runtime: ServiceConstructor; image: ServiceConstructor } | undefined;

/** Builds the two service client classes once per process from the embedded schema. */
function criServices(): { runtime: ServiceConstructor; image: ServiceConstructor } {
  if (!services) {
    const definition = fromJSON(CRI_API_DESCRIPTOR as Parameters<typeof fromJSON>[0], {
      longs: Number, enums: String, defaults: true, oneofs: true,
    });
    const v1 = (grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, ServiceConstructor> } }).runtime.v1;
    services = { runtime: v1.RuntimeService!, image: v1.ImageService! };
  }
  return services;
}

/**
 * Connects to the CRI runtime at `endpoint` (`unix:///path` or a bare absolute path) and waits
 * until it accepts the connection. Fails with a CriError (code Unavailable, method "connect")
 * that names the socket and the reason when it cannot.
 */
export async function connectCri(endpoint: string, opts: CriConnectOptions = {}): Promise<Cri> {
  const o = { ...DEFAULTS, ...opts };
  const { socketPath, target } = parseCriEndpoint(endpoint);
  const missing = await diagnoseSocket(socketPath);
  if (missing) throw new CriError("Unavailable", "connect", missing);

  const { runtime: RuntimeService, image: ImageService } = criServices();
  const channelOptions: grpc.ClientOptions = {
    "grpc.max_receive_message_length": o.maxMessageBytes,
    "grpc.max_send_message_length": o.maxMessageBytes,
    // A unix socket reports a dead peer itself; pings only guard against a hung runtime. Keep them
    // rare: grpc-go servers (containerd) answer pings more often than every 5 min with GOAWAY.
    "grpc.keepalive_time_ms": 5 * 60_000,
    "grpc.keepalive_timeout_ms": 20_000,
    "grpc.keepalive_permit_without_calls": 0,
    // Reconnect quickly after a runtime restart.
    "grpc.initial_reconnect_backoff_ms": 500,
    "grpc.max_reconnect_backoff_ms": 5_000,
  };
  const runtime = new RuntimeService(target, grpc.credentials.createInsecure(), channelOptions);
  const image = new ImageService(target, grpc.credentials.createInsecure(), { channelOverride: runtime.getChannel() });

  try {
    await new Promise<void>((resolve, reject) => {
      runtime.waitForReady(Date.now() + o.connectTimeoutMs, (err) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    runtime.close();
    const why = (await diagnoseSocket(socketPath)) ??
      `container runtime endpoint ${socketPath}: no connection within ${o.connectTimeoutMs} ms (${(err as Error).message}); is containerd running?`;
    throw new CriError("Unavailable", "connect", why);
  }
  return criClient(endpoint, runtime, image, { socketPath, waitForReady: o.waitForReady }, o);
}

function criClient(endpoint: string, runtime: grpc.Client, image: grpc.Client, ctx: CallContext, o: Required<CriConnectOptions>): Cri {
  const rt = <T>(method: string, request: object, call?: CriCallOptions, timeoutMs = o.timeoutMs) =>
    unaryCall<T>(runtime, method, request, timeoutMs, ctx, call);
  const im = <T>(method: string, request: object, call?: CriCallOptions, timeoutMs = o.timeoutMs) =>
    unaryCall<T>(image, method, request, timeoutMs, ctx, call);
  const done = () => undefined;
  // A call that carries its own runtime-side timeout gets that much more time on the wire.
  const plus = (seconds: number) => (seconds > 0 ? seconds * 1000 + o.timeoutMs : Infinity);

  return {
    endpoint,
    version: (call) => rt("Version", { version: "v1" }, call),
    status: (verbose = false, call) => rt("Status", { verbose }, call),
    updateRuntimeConfig: (podCidr, call) =>
      rt("UpdateRuntimeConfig", { runtimeConfig: { networkConfig: { podCidr } } }, call).then(done),

    runPodSandbox: (config, runtimeHandler = "", call) =>
      rt<{ podSandboxId: string }>("RunPodSandbox", { config, runtimeHandler }, call, o.runPodSandboxTimeoutMs)
        .then((r) => r.podSandboxId),
    stopPodSandbox: (podSandboxId, call) => rt("StopPodSandbox", { podSandboxId }, call).then(done),
    removePodSandbox: (podSandboxId, call) => rt("RemovePodSandbox", { podSandboxId }, call).then(done),
    podSandboxStatus: (podSandboxId, verbose = false, call) => rt("PodSandboxStatus", { podSandboxId, verbose }, call),
    listPodSandbox: (filter, call) =>
      rt<{ items: PodSandbox[] }>("ListPodSandbox", { filter: filter ?? null }, call).then((r) => r.items),

    createContainer: (podSandboxId, config, sandboxConfig, call) =>
      rt<{ containerId: string }>("CreateContainer", { podSandboxId, config, sandboxConfig }, call).then((r) => r.containerId),
    startContainer: (containerId, call) => rt("StartContainer", { containerId }, call).then(done),
    stopContainer: (containerId, timeoutSeconds, call) =>
      rt("StopContainer", { containerId, timeout: timeoutSeconds }, call, timeoutSeconds * 1000 + o.timeoutMs).then(done),
    removeContainer: (containerId, call) => rt("RemoveContainer", { containerId }, call).then(done),
    listContainers: (filter, call) =>
      rt<{ containers: Container[] }>("ListContainers", { filter: filter ?? null }, call).then((r) => r.containers),
    containerStatus: (containerId, verbose = false, call) => rt("ContainerStatus", { containerId, verbose }, call),
    updateContainerResources: (containerId, linux, annotations = {}, call) =>
      rt("UpdateContainerResources", { containerId, linux, annotations }, call).then(done),
    reopenContainerLog: (containerId, call) => rt("ReopenContainerLog", { containerId }, call).then(done),

    execSync: (containerId, cmd, timeoutSeconds, call) =>
      rt("ExecSync", { containerId, cmd, timeout: timeoutSeconds }, call, plus(timeoutSeconds)),
    exec: (request, call) => rt<{ url: string }>("Exec", request, call).then((r) => r.url),
    attach: (request, call) => rt<{ url: string }>("Attach", request, call).then((r) => r.url),
    portForward: (podSandboxId, ports, call) =>
      rt<{ url: string }>("PortForward", { podSandboxId, port: ports }, call).then((r) => r.url),

    containerStats: (containerId, call) =>
      rt<{ stats: ContainerStats | null }>("ContainerStats", { containerId }, call).then((r) => r.stats),
    listContainerStats: (filter, call) =>
      rt<{ stats: ContainerStats[] }>("ListContainerStats", { filter: filter ?? null }, call).then((r) => r.stats),
    podSandboxStats: (podSandboxId, call) =>
      rt<{ stats: PodSandboxStats | null }>("PodSandboxStats", { podSandboxId }, call).then((r) => r.stats),
    listPodSandboxStats: (filter, call) =>
      rt<{ stats: PodSandboxStats[] }>("ListPodSandboxStats", { filter: filter ?? null }, call).then((r) => r.stats),

    listImages: (filter, call) =>
      im<{ images: Image[] }>("ListImages", { filter: filter ? { image: filter } : null }, call).then((r) => r.images),
    imageStatus: (spec, verbose = false, call) => im("ImageStatus", { image: spec, verbose }, call),
    pullImage: (spec, auth, sandboxConfig, call) =>
      im<{ imageRef: string }>("PullImage", { image: spec, auth: auth ?? null, sandboxConfig: sandboxConfig ?? null }, call, o.pullImageTimeoutMs)
        .then((r) => r.imageRef),
    removeImage: (spec, call) => im("RemoveImage", { image: spec }, call).then(done),
    imageFsInfo: (call) =>
      im<{ imageFilesystems: FilesystemUsage[] }>("ImageFsInfo", {}, call).then((r) => r.imageFilesystems),

    close: () => {
      image.close();
      runtime.close();
    },
  };
}
