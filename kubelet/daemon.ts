/**
 * The kubelet daemon, host-agnostic: builds every part from flags and the KubeletConfiguration on
 * the ports a Host provides, starts the pod sources and serves the kubelet API until asked to stop.
 */
import { BackoffTable, WasmKeyedBackoff } from "../bindings/core/backoff.ts";
import { instantiateCore } from "../bindings/core/load.ts";
import { WasmProbeScheduler } from "../bindings/core/probes.ts";
import { WasmQuantityParser } from "../bindings/core/quantity.ts";
import { WasmResourceAccounting, type Bytes, type MilliCPU, type Threshold } from "../bindings/core/resources.ts";
import { podStatusSummary } from "./cli/podsTable.ts";
import { CoreResourceAccounting } from "./cm/coreResourceAccounting.ts";
import { nodeAllocatableCgroupLimits, parseReservation } from "./cm/nodeContainerManager.ts";
import type { KubeletFlags } from "./config/flags.ts";
import { applyKubeletFlags, defaultKubeletConfiguration, parseKubeletConfiguration, type KubeletConfiguration } from "./config/kubeletConfiguration.ts";
import { resolveAgainst } from "./config/posixPath.ts";
import { startStaticPodSource } from "./config/staticPodSource.ts";
import { MemoryEventRecorder } from "./events/recorder.ts";
import { Kubelet } from "./kubelet.ts";
import { hashContainer } from "./kuberuntime/containerHash.ts";
import { createRuntimeConfigs } from "./kuberuntime/runtimeConfigs.ts";
import { HandlerRunner } from "./lifecycle/handlerRunner.ts";
import { createLogger, type Logger } from "./log.ts";
import type { ApiConnectionHandle, Host } from "./ports/host.ts";
import { ProberManager } from "./prober/proberManager.ts";
import { ProbeRunner } from "./prober/probeRunner.ts";
import { ProbeRunStats } from "./prober/probeRunStats.ts";
import { kubeletLogSource } from "./server/containerLogs.ts";
import { createHealthzHandler } from "./server/kubeletApi.ts";
import { createKubeletMetrics } from "./metrics/kubeletMetrics.ts";
import { InstrumentedCri } from "./metrics/instrumentedCri.ts";
import { readProcessFacts, registerProcessMetrics } from "./metrics/processMetrics.ts";
import { startKubeletServer } from "./server/kubeletServer.ts";
import { kubeletStreamSource } from "./server/streaming.ts";
import { StatsProvider } from "./stats/statsProvider.ts";
import { EvictionManager } from "./eviction/evictionManager.ts";
import { ImageGCManager, validateImageGCPolicy } from "./images/imageGC.ts";
import { isCriticalPod, summaryObservation } from "./eviction/observations.ts";
import { parseThresholds } from "./eviction/thresholds.ts";
import { ContainerLogManager } from "./logs/containerLogManager.ts";
import { MANAGED_LABEL } from "./kuberuntime/labels.ts";
import { apiObjectSource, standaloneObjectSource } from "./volumemanager/objectSource.ts";
import { PullCredentials } from "./images/pullCredentials.ts";
import { startClusterMode, type ClusterMode } from "./clusterMode.ts";
import { ApiEventSink } from "./events/apiEventSink.ts";
import { rateLimitedApi } from "./apiclient/rateLimitedApi.ts";
import { resourceFieldValues } from "./volumemanager/resourceFieldValue.ts";
import { VolumeManager } from "./volumemanager/volumeManager.ts";

/** Upstream 1.20's --pod-infra-container-image default. */
export const DEFAULT_POD_INFRA_CONTAINER_IMAGE = "k8s.gcr.io/pause:3.2";

/** Where containerd listens by default. */
export const DEFAULT_CRI_ENDPOINT = "unix:///run/containerd/containerd.sock";

/** Reads --config (if any) and applies the flags over it, as upstream does. */
export async function loadKubeletConfiguration(flags: KubeletFlags, host: Host, log: Logger): Promise<KubeletConfiguration> {
  let config = defaultKubeletConfiguration();
  if (flags.config) {
    const file = resolveAgainst(host.cwd(), flags.config);
    const parsed = parseKubeletConfiguration(await host.fs.readText(file), file);
    for (const w of parsed.warnings) log.warn("config", { file, warning: w });
    config = parsed.config;
  }
  return applyKubeletFlags(config, flags, host.cwd());
}

/** "100Mi" or "10%" (of capacity) as a core threshold. */
/** containerLogMaxSize in bytes; a quantity that is not positive stops the kubelet, as upstream's validation does. */
function logMaxSize(text: string, quantities: WasmQuantityParser): number {
  const [q] = quantities.parseMany([text]);
  if (!q?.ok || q.value <= 0n) throw new Error(`invalid configuration: containerLogMaxSize ${JSON.stringify(text)}: expected a positive quantity such as 10Mi`);
  return Number(q.value);
}

/** The eviction thresholds of the configuration; an invalid one stops the kubelet, as upstream's validation does. */
function evictionThresholdsOf(config: KubeletConfiguration, quantities: WasmQuantityParser) {
  try {
    return parseThresholds(config, (t) => {
      const [q] = quantities.parseMany([t]);
      return q?.ok ? Number(q.value) : undefined;
    });
  } catch (err) {
    throw new Error(`invalid configuration: eviction: ${(err as Error).message}`);
  }
}

function threshold(text: string | undefined, quantities: WasmQuantityParser): Threshold | undefined {
  if (!text) return undefined;
  if (text.endsWith("%")) return { fraction: Number(text.slice(0, -1)) / 100 };
  const [q] = quantities.parseMany([text]);
  return q?.ok ? Number(q.value) : undefined;
}

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");

/** Runs the kubelet until the host's stop signal; resolves to the exit code. */
export async function runDaemon(flags: KubeletFlags, host: Host): Promise<number> {
  const log = createLogger(flags.verbosity);
  const config = await loadKubeletConfiguration(flags, host, log);
  const { fs, clock, net } = host;
  const nodeName = flags.hostnameOverride?.toLowerCase() ?? host.machine.nodeName();
  const hostIP = host.machine.hostIP();
  const rootDir = resolveAgainst(host.cwd(), flags.rootDir ?? "/var/lib/kubelet");
  const paths = { rootDir, podLogsDir: host.env("KTS_POD_LOGS_DIR") ?? "/var/log/pods", cgroupRoot: config.cgroupRoot || "/" };
  const endpoint = flags.containerRuntimeEndpoint ?? DEFAULT_CRI_ENDPOINT;

  const core = await instantiateCore(await host.coreBytes());
  const quantities = new WasmQuantityParser(core);
  const logMaxBytes = logMaxSize(config.containerLogMaxSize, quantities);
  const evictionThresholds = evictionThresholdsOf(config, quantities);
  const imageGCPolicy = { highThresholdPercent: config.imageGCHighThresholdPercent, lowThresholdPercent: config.imageGCLowThresholdPercent, minAgeMs: config.imageMinimumGCAgeMs };
  try {
    validateImageGCPolicy(imageGCPolicy);
  } catch (err) {
    throw new Error(`invalid configuration: image garbage collection: ${(err as Error).message}`);
  }
  let eviction: EvictionManager | undefined;
  const coreAccounting = new WasmResourceAccounting(core);
  await fs.mkdirp(`${rootDir}/pods`);
  const cap = await host.machine.capacity(rootDir);
  const capacity = { cpu: cap.cpuMilli as MilliCPU, memory: cap.memoryBytes as Bytes, ephemeralStorage: cap.ephemeralBytes as Bytes, pods: config.maxPods };
  const kubeReserved = parseReservation(config.kubeReserved, "kubeReserved", quantities);
  const systemReserved = parseReservation(config.systemReserved, "systemReserved", quantities);
  const allocatable = coreAccounting.nodeAllocatable({
    capacity, kubeReserved: kubeReserved.list, systemReserved: systemReserved.list,
    evictionHard: { memory: threshold(config.evictionHard["memory.available"], quantities), ephemeralStorage: threshold(config.evictionHard["nodefs.available"], quantities) },
  });
  const resources = new CoreResourceAccounting(quantities, coreAccounting, { memoryCapacity: cap.memoryBytes as Bytes }, allocatable);

  const metrics = createKubeletMetrics();
  metrics.nodeName.labels(nodeName).set(1);
  registerProcessMetrics(metrics.registry, () => readProcessFacts(fs));
  const cri = new InstrumentedCri(await host.connectCri(endpoint), metrics, () => clock.now());
  const version = await cri.version();
  log.info(0, "container runtime connected", { endpoint, runtime: `${version.runtimeName} ${version.runtimeVersion}`, api: version.runtimeApiVersion, host: host.name });

  const hostResolvConf = config.resolvConf ? await fs.readText(config.resolvConf).catch(() => undefined) : undefined;
  // Cluster mode when a kubeconfig (or a bootstrap kubeconfig) is given, as upstream.
  let conn: ApiConnectionHandle | undefined;
  if (flags.kubeconfig || flags.bootstrapKubeconfig) {
    if (!host.connectApi) throw new Error(`the ${host.name} host cannot connect to an API server`);
    conn = await host.connectApi({
      kubeconfig: resolveAgainst(host.cwd(), flags.kubeconfig ?? `${rootDir}/kubeconfig`),
      bootstrapKubeconfig: flags.bootstrapKubeconfig && resolveAgainst(host.cwd(), flags.bootstrapKubeconfig),
      certDir: `${rootDir}/pki`, nodeName, log, rotateCertificates: config.rotateCertificates,
    });
  }
  // Events have their own client and limit (eventRecordQPS), as upstream; everything else shares kubeAPIQPS when set.
  const eventSink = conn ? new ApiEventSink(conn.api, nodeName, log, clock, { qps: config.eventRecordQPS, burst: config.eventBurst }) : undefined;
  const api = conn ? rateLimitedApi(conn.api, config.kubeAPIQPS ?? 0, config.kubeAPIBurst, clock) : undefined;
  const events = new MemoryEventRecorder(() => clock.now(), log, 1000, eventSink && ((e) => eventSink.send(e)));
  const objects = api ? apiObjectSource(api) : standaloneObjectSource;
  const volumes = new VolumeManager({
    fs, mounter: host.mounter, objects, clock, log, events, rootDir, clusterDomain: config.clusterDomain,
    quantityBytes: (q) => { const [r] = quantities.parseMany([String(q)]); return r?.ok ? Number(r.value) : undefined; },
    resourceValue: resourceFieldValues(quantities, { cpuMilli: allocatable.cpu, memoryBytes: allocatable.memory, ephemeralBytes: allocatable.ephemeralStorage }),
    resyncPeriodMs: config.syncFrequencyMs,
  });
  let wake: (uid: string) => void = () => {};
  // Started after the kubelet it feeds; containers are created only once it is (kubelet.start()).
  let cluster: ClusterMode | undefined;
  const seed = new DataView(host.randomBytes(4).buffer).getUint32(0);
  // KTS_PROBE_STATS_SECONDS=N logs probe runs and their lateness every N seconds (benchmarks, tuning).
  const probeStatsSeconds = Number(host.env("KTS_PROBE_STATS_SECONDS") ?? 0);
  const probeStats = probeStatsSeconds > 0 ? new ProbeRunStats() : undefined;
  const prober = new ProberManager(
    new WasmProbeScheduler(core, { seed, kubeletStartedAt: clock.now() }),
    new ProbeRunner(cri, net, host.grpcHealth), clock, events, log, (uid) => wake(uid), { hostIP, onRunStart: probeStats?.record },
  );
  if (probeStats) {
    const report = () => {
      const s = probeStats.summary();
      log.info(0, "probe runs", { seconds: probeStatsSeconds, runs: s.runs, lateP50Ms: s.lateP50, lateP99Ms: s.lateP99, lateMaxMs: s.lateMax });
      clock.setTimer(probeStatsSeconds * 1000, report);
    };
    clock.setTimer(probeStatsSeconds * 1000, report);
  }
  const kubelet = new Kubelet({
    nodeName, hostIP, paths, cri, fs, cgroups: host.cgroups, clock, log, events, metrics,
    pullCredentials: new PullCredentials({ objects, fs, log, now: () => clock.now(), rootDir, cwd: host.cwd(), home: host.env("HOME") }),
    crashBackoff: new WasmKeyedBackoff(core, { table: BackoffTable.ContainerRestart }),
    imageBackoff: new WasmKeyedBackoff(core, { table: BackoffTable.ImagePull }),
    resources,
    qos: config.cgroupsPerQOS ? {
      accounting: resources,
      nodeAllocatable: nodeAllocatableCgroupLimits({
        capacity, kubeReserved, systemReserved, enforceNodeAllocatable: config.enforceNodeAllocatable,
        pidMax: Number(await fs.readText("/proc/sys/kernel/pid_max").catch(() => "")) || undefined,
      }, coreAccounting, (milli) => resources.cpuShares(milli)),
    } : undefined,
    configs: createRuntimeConfigs({
      fs, resources, paths, nodeName, hostIP, uniqueId: () => hex(host.randomBytes(4)),
      dns: { clusterDNS: config.clusterDNS, clusterDomain: config.clusterDomain, hostResolvConf },
      volumes,
      // Standalone mode has no services, like upstream without a serviceLister.
      serviceEnv: (pod) => cluster?.serviceEnv(pod) ?? {},
    }),
    hooks: new HandlerRunner(cri, (url, headers, t) => net.httpGet(url, headers, t), clock),
    hash: hashContainer,
    volumes,
    admitHandlers: [(pod) => {
      const verdict = eviction?.admit(pod, resources.qosClass(pod));
      return verdict && !verdict.admit ? { reason: verdict.reason, message: verdict.message } : undefined;
    }],
    probes: {
      actionVerdict: (uid, name) => prober.actionVerdict(uid, name),
      statusVerdict: (uid, name) => prober.statusVerdict(uid, name),
      containerStarted: (pod, rt) => prober.syncPod(pod, rt),
      podRemoved: (uid) => prober.removePod(uid),
    },
  });
  wake = (uid) => void kubelet.syncNow(uid);

  // One status line per change, like `kubectl get pods -w`.
  const lastLine = new Map<string, string>();
  kubelet.onStatus((pod) => {
    const s = podStatusSummary(pod);
    const line = `${pod.metadata.namespace}/${pod.metadata.name}\t${s.readyContainers}/${s.totalContainers}\t${s.status}\t${s.restarts}`;
    if (lastLine.get(pod.metadata.uid!) === line) return;
    lastLine.set(pod.metadata.uid!, line);
    host.print(`${new Date(clock.now()).toISOString()}\t${line}`);
  });

  if (conn && api) {
    const c = conn;
    const toAmounts = (cpu: number, mem: number, eph: number, pods: number) => ({ cpuMilli: cpu, memoryBytes: mem, ephemeralStorageBytes: eph, pods });
    cluster = startClusterMode({
      api, kubelet, nodeName, nodeLabels: flags.nodeLabels, cri, config,
      facts: await host.machine.nodeFacts(nodeName, hostIP),
      capacity: toAmounts(cap.cpuMilli, cap.memoryBytes, cap.ephemeralBytes, config.maxPods),
      allocatable: toAmounts(allocatable.cpu ?? 0, allocatable.memory ?? 0, allocatable.ephemeralStorage ?? 0, allocatable.pods ?? config.maxPods),
      events, clock, log,
      healthy: () => (kubelet.healthy() ? undefined : "PLEG is not healthy: the container runtime does not answer relists"),
      onRepeatedHeartbeatFailure: () => c.resetConnections(),
      pressure: () => eviction?.pressure() ?? { memory: false, disk: false, pid: false },
    });
  }
  let source: { stop(): void } | undefined;
  if (config.staticPodPath) {
    await new Promise<void>((first) => {
      source = startStaticPodSource({
        path: config.staticPodPath!, nodeName, fs, clock, log, fileCheckFrequencyMs: config.fileCheckFrequencyMs,
        onPods: (pods) => { kubelet.setPods("file", pods); cluster?.setStaticPods(pods); first(); },
      });
    });
  }
  // Every source has delivered its first snapshot before pods the kubelet does not know are stopped.
  if (cluster) await cluster.synced;
  await kubelet.start();
  volumes.start();
  const logManager = new ContainerLogManager({
    cri, fs, clock, log, policy: { maxSizeBytes: logMaxBytes, maxFiles: config.containerLogMaxFiles },
    labelSelector: { [MANAGED_LABEL]: nodeName },
  });
  logManager.start();

  const cgroups = host.cgroups;
  const stats = new StatsProvider({
    cri, fs, clock, log, nodeName, paths, memoryCapacityBytes: cap.memoryBytes,
    cgroups: { stats: async (p) => cgroups.stats?.(p) },
    bootTimeMs: host.machine.bootTimeMs?.bind(host.machine), processLimits: host.machine.processLimits?.bind(host.machine),
  });
  const nodeEvent = (reason: string, message: string) => events.event({ kind: "Node", name: nodeName, uid: nodeName }, "Warning", reason, message);
  const imageGC = new ImageGCManager({
    cri, clock, log, policy: imageGCPolicy, nodeEvent,
    imageFs: async () => (await stats.summary()).node.runtime?.imageFs,
    sandboxImage: flags.podInfraContainerImage ?? DEFAULT_POD_INFRA_CONTAINER_IMAGE,
  });
  imageGC.start();
  eviction = new EvictionManager({
    thresholds: evictionThresholds,
    pressureTransitionPeriodMs: config.evictionPressureTransitionPeriodMs,
    maxPodGracePeriodSeconds: config.evictionMaxPodGracePeriod,
    clock, log,
    // Node signals every pass; per-pod usage only when pods must be ranked or limits checked.
    observe: async (fresh, withPods) => summaryObservation(await (withPods ? stats.summary(fresh ? { maxAgeMs: 0 } : {}) : stats.nodeSummary(fresh ? { maxAgeMs: 0 } : {}))),
    // Dead containers, then unused images, before any pod is evicted for disk (upstream's node-level reclaim).
    reclaimDisk: async () => {
      await kubelet.garbageCollect();
      await imageGC.deleteUnusedImages();
    },
    activePods: () => kubelet.evictablePods(),
    podRequest: (pod, r) => resources.podRequestBytes(pod, r),
    containerRequest: (pod, c, r) => resources.containerRequestBytes(pod, c, r),
    rank: (candidates) => coreAccounting.rankForEviction(candidates),
    isCritical: isCriticalPod,
    evictPod: async (pod, grace, message) => kubelet.evict(pod.metadata.uid!, grace, "Evicted", message),
    onEvicted: (signal) => metrics.evictions.labels(signal).inc(),
    nodeEvent,
    // A beta feature on by default in 1.20.
    localStorageCapacityIsolation: config.featureGates.LocalStorageCapacityIsolation ?? true,
    quantityBytes: (t) => { const [q] = quantities.parseMany([t]); return q?.ok ? Number(q.value) : undefined; },
  });
  eviction.start();
  const health = [{ name: "syncloop", check: () => (kubelet.healthy() ? undefined : "PLEG is not healthy: the container runtime does not answer relists") }];
  const servers = [];
  if (config.healthzPort > 0) servers.push(await host.serve.listen({ host: config.healthzBindAddress, port: config.healthzPort }, createHealthzHandler(health)));
  servers.push(await startKubeletServer({
    config, serve: host.serve, fs, clock, log, nodeName, nodeIPs: hostIP ? [hostIP] : [], certDir: `${rootDir}/pki`,
    api, tools: host.certificates,
    handler: {
      pods: () => kubelet.pods(), healthChecks: health, logs: { source: kubeletLogSource(() => kubelet.pods(), cri), fs, clock },
      streaming: { source: kubeletStreamSource(() => kubelet.pods(), cri), runtime: cri, dial: host.net.dial?.bind(host.net) },
      stats: { summary: () => stats.summary(), cpuAndMemory: () => stats.cpuAndMemory() },
      metrics: metrics.registry,
    },
  }));
  log.info(0, "kubelet-ts started", { node: nodeName, staticPodPath: config.staticPodPath ?? "", api: `${config.address}:${config.port}` });

  await host.stopSignal();
  log.info(0, "stopping (running containers keep running)");
  source?.stop();
  await cluster?.stop();
  prober.stop();
  await logManager.stop();
  await eviction.stop();
  await imageGC.stop();
  await kubelet.stop();
  volumes.stop();
  await Promise.all(servers.map((s) => s.close()));
  cri.close();
  await conn?.close();
  return 0;
}
