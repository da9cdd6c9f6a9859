/** Runs the kubelet daemon on Node: builds every part from flags and config, then serves. */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { BackoffTable, WasmKeyedBackoff } from "../../bindings/core/backoff.ts";
import { WasmProbeScheduler } from "../../bindings/core/probes.ts";
import { ProberManager } from "../../kubelet/prober/proberManager.ts";
import { ProbeRunner } from "../../kubelet/prober/probeRunner.ts";
import { grpcHealthCheck } from "./grpcHealth.ts";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmQuantityParser } from "../../bindings/core/quantity.ts";
import { WasmResourceAccounting, type Bytes, type MilliCPU, type Threshold } from "../../bindings/core/resources.ts";
import { CoreResourceAccounting } from "../../kubelet/cm/coreResourceAccounting.ts";
import type { KubeletFlags } from "../../kubelet/config/flags.ts";
import { applyKubeletFlags, defaultKubeletConfiguration, parseKubeletConfiguration, type KubeletConfiguration } from "../../kubelet/config/kubeletConfiguration.ts";
import { startStaticPodSource } from "../../kubelet/config/staticPodSource.ts";
import { MemoryEventRecorder } from "../../kubelet/events/recorder.ts";
import { Kubelet } from "../../kubelet/kubelet.ts";
import { hashContainer } from "../../kubelet/kuberuntime/containerHash.ts";
import { createRuntimeConfigs } from "../../kubelet/kuberuntime/runtimeConfigs.ts";
import { HandlerRunner } from "../../kubelet/lifecycle/handlerRunner.ts";
import { createLogger, type Logger } from "../../kubelet/log.ts";
import { podStatusSummary } from "../../kubelet/cli/podsTable.ts";
import { createHealthzHandler, createKubeletApiHandler } from "../../kubelet/server/kubeletApi.ts";
import { nodeCgroups } from "./cgroups.ts";
import { nodeClock } from "./clock.ts";
import { loadCoreBytes } from "./coreWasm.ts";
import { connectCri } from "./cri.ts";
import { nodeFs } from "./fs.ts";
import { nodeNet } from "./net.ts";
import { defaultHostIP, defaultNodeName, machineCapacity } from "./nodeFacts.ts";
import { nodeServe } from "./serve.ts";

/** Where containerd listens by default. */
export const DEFAULT_CRI_ENDPOINT = "unix:///run/containerd/containerd.sock";

async function loadConfig(flags: KubeletFlags, log: Logger): Promise<KubeletConfiguration> {
  let config = defaultKubeletConfiguration();
  if (flags.config) {
    const file = resolve(flags.config);
    const parsed = parseKubeletConfiguration(await readFile(file, "utf8"), file);
    for (const w of parsed.warnings) log.warn("config", { file, warning: w });
    config = parsed.config;
  }
  return applyKubeletFlags(config, flags, process.cwd());
}

/** "100Mi" or "10%" (of capacity) as a core threshold. */
function threshold(text: string | undefined, quantities: WasmQuantityParser): Threshold | undefined {
  if (!text) return undefined;
  if (text.endsWith("%")) return { fraction: Number(text.slice(0, -1)) / 100 };
  const [q] = quantities.parseMany([text]);
  return q?.ok ? Number(q.value) : undefined;
}

/** Starts the kubelet and resolves when it has been asked to stop (SIGINT/SIGTERM). */
export async function runKubelet(flags: KubeletFlags): Promise<number> {
  const log = createLogger(flags.verbosity);
  const config = await loadConfig(flags, log);
  const nodeName = flags.hostnameOverride?.toLowerCase() ?? defaultNodeName();
  const hostIP = defaultHostIP();
  const rootDir = resolve(flags.rootDir ?? "/var/lib/kubelet");
  const paths = { rootDir, podLogsDir: process.env.KTS_POD_LOGS_DIR ?? "/var/log/pods", cgroupRoot: config.cgroupRoot || "/" };
  const endpoint = flags.containerRuntimeEndpoint ?? DEFAULT_CRI_ENDPOINT;

  const core = await instantiateCore(await loadCoreBytes());
  const quantities = new WasmQuantityParser(core);
  const coreAccounting = new WasmResourceAccounting(core);
  await nodeFs.mkdirp(`${rootDir}/pods`);
  const cap = await machineCapacity(rootDir);
  const allocatable = coreAccounting.nodeAllocatable({
    capacity: { cpu: cap.cpuMilli as MilliCPU, memory: cap.memoryBytes as Bytes, ephemeralStorage: cap.ephemeralBytes as Bytes, pods: config.maxPods },
    evictionHard: { memory: threshold(config.evictionHard["memory.available"], quantities), ephemeralStorage: threshold(config.evictionHard["nodefs.available"], quantities) },
  });
  const resources = new CoreResourceAccounting(quantities, coreAccounting, { memoryCapacity: cap.memoryBytes as Bytes }, allocatable);

  const cri = await connectCri(endpoint);
  const version = await cri.version();
  log.info(0, "container runtime connected", { endpoint, runtime: `${version.runtimeName} ${version.runtimeVersion}`, api: version.runtimeApiVersion });

  let hostResolvConf: string | undefined;
  if (config.resolvConf) hostResolvConf = await readFile(config.resolvConf, "utf8").catch(() => undefined);
  const events = new MemoryEventRecorder(() => nodeClock.now(), log);
  let wake: (uid: string) => void = () => {};
  const prober = new ProberManager(
    new WasmProbeScheduler(core, { seed: randomBytes(4).readUInt32LE(0), kubeletStartedAt: nodeClock.now() }),
    new ProbeRunner(cri, nodeNet, grpcHealthCheck), nodeClock, events, log, (uid) => wake(uid),
  );
  const kubelet = new Kubelet({
    nodeName, hostIP, paths, cri, fs: nodeFs, cgroups: nodeCgroups(), clock: nodeClock, log, events,
    crashBackoff: new WasmKeyedBackoff(core, { table: BackoffTable.ContainerRestart }),
    imageBackoff: new WasmKeyedBackoff(core, { table: BackoffTable.ImagePull }),
    resources,
    configs: createRuntimeConfigs({
      fs: nodeFs, resources, paths, nodeName, hostIP, uniqueId: () => randomBytes(4).toString("hex"),
      dns: { clusterDNS: config.clusterDNS, clusterDomain: config.clusterDomain, hostResolvConf },
    }),
    hooks: new HandlerRunner(cri, (url, headers, t) => nodeNet.httpGet(url, headers, t), nodeClock),
    hash: hashContainer,
    probes: {
      actionVerdict: (uid, name) => prober.actionVerdict(uid, name),
      statusVerdict: (uid, name) => prober.statusVerdict(uid, name),
      containerStarted: (pod, rt) => prober.syncPod(pod, rt),
      podRemoved: (uid) => prober.removePod(uid),
    },
  });
  wake = (uid) => void kubelet.syncNow(uid);

  // Print each pod's status line when it changes, like `kubectl get pods -w`.
  const lastLine = new Map<string, string>();
  kubelet.onStatus((pod) => {
    const s = podStatusSummary(pod);
    const line = `${pod.metadata.namespace}/${pod.metadata.name}\t${s.readyContainers}/${s.totalContainers}\t${s.status}\t${s.restarts}`;
    if (lastLine.get(pod.metadata.uid!) !== line) {
      lastLine.set(pod.metadata.uid!, line);
      process.stdout.write(`${new Date().toISOString()}\t${line}\n`);
    }
  });

  let source: { stop(): void } | undefined;
  if (config.staticPodPath) {
    const first = new Promise<void>((resolveFirst) => {
      source = startStaticPodSource({
        path: config.staticPodPath!, nodeName, fs: nodeFs, clock: nodeClock, log, fileCheckFrequencyMs: config.fileCheckFrequencyMs,
        onPods: (pods) => { kubelet.setPods("file", pods); resolveFirst(); },
      });
    });
    await first;
  }
  await kubelet.start();

  const servers = [];
  const health = [{ name: "syncloop", check: () => (kubelet.healthy() ? undefined : "PLEG is not healthy: the container runtime does not answer relists") }];
  if (config.healthzPort > 0) servers.push(await nodeServe.listen({ host: config.healthzBindAddress, port: config.healthzPort }, createHealthzHandler(health)));
  servers.push(await nodeServe.listen({ host: config.address, port: config.port }, createKubeletApiHandler({ pods: () => kubelet.pods(), healthChecks: health })));
  log.info(0, "kubelet-ts started", { node: nodeName, staticPodPath: config.staticPodPath ?? "", api: `${config.address}:${config.port}` });

  await new Promise<void>((done) => {
    process.once("SIGINT", () => done());
    process.once("SIGTERM", () => done());
  });
  log.info(0, "stopping (running containers keep running)");
  source?.stop();
  prober.stop();
  await kubelet.stop();
  await Promise.all(servers.map((s) => s.close()));
  cri.close();
  return 0;
}
