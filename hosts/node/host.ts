/** The Node.js Host: every port implemented with Node's own APIs. */
import { randomBytes } from "node:crypto";
import type { Host } from "../../kubelet/ports/host.ts";
import { nodeCgroups } from "./cgroups.ts";
import { nodeClock } from "./clock.ts";
import { loadCoreBytes } from "./coreWasm.ts";
import { connectApi } from "./apiConnect.ts";
import { connectCri } from "./cri.ts";
import { nodeCertificateTools } from "./csr.ts";
import { readNodeHostFacts } from "./nodeSystemInfo.ts";
import { nodeFs } from "./fs.ts";
import { nodeMounter } from "./mounter.ts";
import { grpcHealthCheck } from "./grpcHealth.ts";
import { nodeNet } from "./net.ts";
import { bootTimeMs, defaultHostIP, defaultNodeName, machineCapacity, processLimits } from "./nodeFacts.ts";
import { nodeServe } from "./serve.ts";

/** This machine's facts, read through Node's os/fs modules (the Deno host uses them too). */
export const nodeMachine: Host["machine"] = {
  nodeName: defaultNodeName, hostIP: defaultHostIP, capacity: machineCapacity,
  nodeFacts: (hostname, internalIP) => readNodeHostFacts({ hostname, internalIP }),
  bootTimeMs, processLimits,
};

/** The API connection (bootstrap, rotation) on node:https (the Deno host uses it too). */
export const nodeConnectApi: NonNullable<Host["connectApi"]> = async (o) => {
  const conn = await connectApi(o);
  return { api: conn.api, resetConnections: () => conn.api.resetConnections(), close: () => conn.close() };
};

/** Node as the kubelet's host. */
export const nodeHost: Host = {
  name: "node",
  fs: nodeFs,
  clock: nodeClock,
  net: nodeNet,
  serve: nodeServe,
  cgroups: nodeCgroups(),
  mounter: nodeMounter,
  machine: nodeMachine,
  connectCri: (endpoint) => connectCri(endpoint),
  connectApi: nodeConnectApi,
  certificates: nodeCertificateTools,
  grpcHealth: grpcHealthCheck,
  coreBytes: loadCoreBytes,
  cwd: () => process.cwd(),
  env: (name) => process.env[name],
  randomBytes: (n) => new Uint8Array(randomBytes(n)),
  print: (line) => void process.stdout.write(`${line}\n`),
  stopSignal: () => new Promise((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  }),
};
