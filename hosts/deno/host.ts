/**
 * The Deno Host: files, timers and the HTTP server on Deno's own APIs; the CRI and gRPC clients,
 * network probes and cgroup files through Deno's Node compatibility (the same @grpc/grpc-js client
 * as on Node), since Deno has no native gRPC-over-unix-socket client.
 */
import type { Host } from "../../kubelet/ports/host.ts";
import { nodeCgroups } from "../node/cgroups.ts";
import { connectCri } from "../node/cri.ts";
import { nodeCertificateTools } from "../node/csr.ts";
import { grpcHealthCheck } from "../node/grpcHealth.ts";
import { nodeConnectApi, nodeMachine } from "../node/host.ts";
import { nodeNet } from "../node/net.ts";
import { denoClock } from "./clock.ts";
import { loadCoreBytes } from "./coreWasm.ts";
import { denoFs } from "./fs.ts";
import { denoMounter } from "./mounter.ts";
import { denoServe } from "./serve.ts";

/** Deno as the kubelet's host. */
export const denoHost: Host = {
  name: "deno",
  fs: denoFs,
  clock: denoClock,
  net: nodeNet,
  serve: denoServe,
  cgroups: nodeCgroups(),
  mounter: denoMounter,
  machine: nodeMachine,
  connectCri: (endpoint) => connectCri(endpoint),
  connectApi: nodeConnectApi,
  certificates: nodeCertificateTools,
  grpcHealth: grpcHealthCheck,
  coreBytes: loadCoreBytes,
  cwd: () => Deno.cwd(),
  env: (name) => Deno.env.get(name),
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
  print: (line) => console.log(line),
  stopSignal: () => new Promise((done) => {
    Deno.addSignalListener("SIGINT", () => done());
    Deno.addSignalListener("SIGTERM", () => done());
  }),
};
