/**
 * The `Host` a kubelet daemon runs on: every port plus the few process facts the composition needs.
 * hosts/node/host.ts and hosts/deno/host.ts each build one; kubelet/daemon.ts consumes it.
 */
import type { ApiTransport } from "./api.ts";
import type { CertificateTools } from "./certificates.ts";
import type { Cgroups } from "./cgroups.ts";
import type { Clock } from "./clock.ts";
import type { Cri } from "./cri.ts";
import type { Fs } from "./fs.ts";
import type { Mounter } from "./mounter.ts";
import type { Net } from "./net.ts";
import type { Serve } from "./serve.ts";
import type { Logger } from "../log.ts";
import type { NodeHostFacts } from "../nodestatus/setters.ts";

/** Machine facts: names, addresses, capacity, and (for the Node object) system identity. */
export interface Machine {
  nodeName(): string;
  hostIP(): string | undefined;
  capacity(rootDir: string): Promise<{ cpuMilli: number; memoryBytes: number; ephemeralBytes: number }>;
  /** System identity for the Node object (machine ID, boot ID, kernel, OS image, ...). */
  nodeFacts(hostname: string, internalIP: string | undefined): Promise<NodeHostFacts>;
  /** When the machine booted, ms since the epoch (the Summary's node startTime); optional. */
  bootTimeMs?(): Promise<number | undefined>;
  /** The kernel's pid limit and the tasks running now (the Summary's rlimit); optional. */
  processLimits?(): Promise<{ maxPid: number; running: number } | undefined>;
}

/** A live API server connection (cluster mode). */
export interface ApiConnectionHandle {
  api: ApiTransport;
  /** Drops pooled connections (after repeated heartbeat failures). */
  resetConnections(): void;
  /** Stops certificate rotation and closes the transport. */
  close(): Promise<void>;
}

/** Connects to the API server from kubeconfig files, bootstrapping a client certificate if needed. */
export type ConnectApi = (opts: {
  kubeconfig: string; bootstrapKubeconfig?: string; certDir: string; nodeName: string; log: Logger; rotateCertificates: boolean;
}) => Promise<ApiConnectionHandle>;

/** Everything runtime-specific the daemon needs. */
export interface Host {
  readonly name: "node" | "deno";
  fs: Fs;
  clock: Clock;
  net: Net;
  serve: Serve;
  cgroups: Cgroups;
  mounter: Mounter;
  machine: Machine;
  connectCri(endpoint: string): Promise<Cri>;
  connectApi?: ConnectApi;
  /** Key and certificate tools (the kubelet API's self-signed serving certificate). */
  certificates?: CertificateTools;
  /** gRPC health checking for grpc probes, when the host can do it. */
  grpcHealth?: (host: string, port: number, service: string, timeoutMs: number) => Promise<string>;
  /** The core.wasm bytes. */
  coreBytes(): Promise<Uint8Array>;
  cwd(): string;
  env(name: string): string | undefined;
  /** Cryptographically random bytes (ids, probe jitter seed). */
  randomBytes(n: number): Uint8Array;
  /** Writes one line to standard output (status lines). */
  print(line: string): void;
  /** Resolves on SIGINT or SIGTERM. */
  stopSignal(): Promise<void>;
}
