/**
 * The node agent as its own process, for e2e tests (what hosts/node/run.ts will do in cluster mode):
 * connect (bootstrapping a client certificate if asked), read the machine's facts and capacity, let
 * the core compute allocatable, and run startNodeAgent against the real containerd until SIGTERM.
 * Events are printed to stdout as `EVENT {json}` lines; `CONNECTED {json}` says how it connected.
 *   node --import tsx nodeAgentMain.ts --node-name N --kubeconfig K [--bootstrap-kubeconfig B] --cert-dir D --root-dir R --cri unix://...
 */
import { instantiateCore } from "../../../bindings/core/load.ts";
import { WasmResourceAccounting, type Bytes, type MilliCPU } from "../../../bindings/core/resources.ts";
import { connectApi } from "../../../hosts/node/apiConnect.ts";
import { loadCoreBytes } from "../../../hosts/node/coreWasm.ts";
import { connectCri } from "../../../hosts/node/cri.ts";
import { defaultHostIP, machineCapacity } from "../../../hosts/node/nodeFacts.ts";
import { readNodeHostFacts } from "../../../hosts/node/nodeSystemInfo.ts";
import { createLogger } from "../../../kubelet/log.ts";
import { startNodeAgent } from "../../../kubelet/nodestatus/nodeAgent.ts";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1]!);
const need = (k: string) => args.get(k) ?? (() => { throw new Error(`--${k} is required`); })();

const log = createLogger(Number(args.get("v") ?? 2));
const nodeName = need("node-name");
const rootDir = need("root-dir");
const conn = await connectApi({
  kubeconfig: need("kubeconfig"), bootstrapKubeconfig: args.get("bootstrap-kubeconfig"), certDir: need("cert-dir"),
  nodeName, log, rotateCertificates: true, bootstrapTimeoutMs: 120_000,
});
process.stdout.write(`CONNECTED ${JSON.stringify({ bootstrapped: conn.bootstrapped, clientCertFile: conn.settings.clientCertFile ?? null })}\n`);

const cri = await connectCri(need("cri"));
const core = new WasmResourceAccounting(await instantiateCore(await loadCoreBytes()));
const cap = await machineCapacity(rootDir);
const capacity = { cpuMilli: cap.cpuMilli, memoryBytes: cap.memoryBytes, ephemeralStorageBytes: cap.ephemeralBytes, pods: 110 };
const alloc = core.nodeAllocatable({
  capacity: { cpu: cap.cpuMilli as MilliCPU, memory: cap.memoryBytes as Bytes, ephemeralStorage: cap.ephemeralBytes as Bytes, pods: 110 },
  evictionHard: { memory: 100 * 1024 * 1024, ephemeralStorage: { fraction: 0.1 } },
});
const allocatable = { cpuMilli: alloc.cpu!, memoryBytes: alloc.memory!, ephemeralStorageBytes: alloc.ephemeralStorage!, pods: alloc.pods! };
process.stdout.write(`RESOURCES ${JSON.stringify({ capacity, allocatable })}\n`);

const agent = startNodeAgent({
  api: conn.api, nodeName, cri, log,
  facts: await readNodeHostFacts({ hostname: nodeName, internalIP: defaultHostIP() }),
  capacity, allocatable,
  config: { nodeStatusUpdateFrequencyMs: 10_000, nodeStatusReportFrequencyMs: 300_000, nodeLeaseDurationSeconds: 40, registerNode: true, registerWithTaints: [{ key: "kts-e2e", value: "node-agent", effect: "NoSchedule" }], port: 10250 },
  nodeLabels: { "kts-e2e": "node-agent" },
  events: { event: (subject, type, reason, message) => process.stdout.write(`EVENT ${JSON.stringify({ subject, type, reason, message })}\n`) },
  clock: { now: () => Date.now(), setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => clearTimeout(t); }, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
  onRepeatedHeartbeatFailure: () => conn.api.resetConnections(),
});

process.once("SIGTERM", async () => {
  await agent.stop();
  await conn.close();
  cri.close();
  process.exit(0);
});
