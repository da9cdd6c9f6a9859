/**
 * The kubelet's stats provider: the Summary of `/stats/summary` and `/metrics/resource`, as
 * upstream 1.20 builds it with a CRI runtime (CRI stats provider + cAdvisor). Containers come from
 * the runtime's ListContainerStats; pods, the pods cgroup and the node from cgroup accounting; file
 * systems from statfs and directory walks. One sample is shared by every caller for `maxAgeMs`, so
 * an eviction manager and the HTTP endpoints do not each re-read the node.
 */
import type { Container, ContainerStats as CriContainerStats, PodSandbox } from "../../bindings/cri/types.ts";
import type {
  ContainerStats, CPUStats, FsStats, MemoryStats, NodeStats, PodStats, Summary, VolumeStats,
} from "../../bindings/kube/stats.ts";
import { SYSTEM_CONTAINER_PODS } from "../../bindings/kube/stats.ts";
import { podCgroupPath, type QosClass } from "../cm/resourceAccounting.ts";
import { MANAGED_LABEL } from "../kuberuntime/labels.ts";
import type { Logger } from "../log.ts";
import type { CgroupStats, CgroupStatsReader } from "../ports/cgroupStats.ts";
import type { Clock } from "../ports/clock.ts";
import type { Cri } from "../ports/cri.ts";
import type { Fs, FsCapacity } from "../ports/fs.ts";
import { CpuUsageRate } from "./cpuUsageRate.ts";
import { dirUsage, type DirUsage } from "./dirUsage.ts";

/** Process limits of the node (rlimit in the Summary). */
export interface ProcessLimits { maxPid: number; running: number }

/** What the provider reads from. */
export interface StatsProviderDeps {
  cri: Pick<Cri, "listPodSandbox" | "listContainers" | "listContainerStats" | "imageFsInfo">;
  cgroups: CgroupStatsReader;
  fs: Pick<Fs, "readDir" | "stat" | "fsCapacity">;
  clock: Pick<Clock, "now">;
  log: Logger;
  nodeName: string;
  paths: { rootDir: string; podLogsDir: string; cgroupRoot: string };
  /** The machine's memory: the node's memory "limit" (availableBytes = capacity - working set). */
  memoryCapacityBytes: number;
  /** When the machine booted (node startTime), ms since the epoch. */
  bootTimeMs?: () => Promise<number | undefined>;
  processLimits?: () => Promise<ProcessLimits | undefined>;
  /** A sample younger than this is served again (default 2000 ms). */
  maxAgeMs?: number;
}

/** Volume plugin directories whose usage is reported per volume (the kubelet's own volume kinds). */
const VOLUME_PLUGINS = ["kubernetes.io~empty-dir", "kubernetes.io~configmap", "kubernetes.io~secret", "kubernetes.io~downward-api", "kubernetes.io~projected"];
/** Volumes upstream counts in ephemeral storage (IsLocalEphemeralVolume: emptyDir, configMap, gitRepo). */
const EPHEMERAL_PLUGINS = new Set(["kubernetes.io~empty-dir", "kubernetes.io~configmap"]);
const QOS_TIERS: QosClass[] = ["Guaranteed", "Burstable", "BestEffort"];
/** Rate samples of containers and pods not seen for this long are dropped (upstream: 2 minutes). */
const CPU_SAMPLE_TTL_MS = 120_000;

/** metav1.Time's JSON: RFC 3339 with seconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.max(0, ms)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const nsToMs = (ns: number) => ns / 1e6;

/** Memory of a cgroup as cAdvisor reports it: working set = usage - inactive file cache; available = limit - working set. */
export function cgroupMemoryStats(cg: CgroupStats, limitBytes: number | undefined, time: string): MemoryStats | undefined {
  if (cg.memoryUsageBytes === undefined) return undefined;
  const workingSet = Math.max(0, cg.memoryUsageBytes - (cg.memoryInactiveFileBytes ?? 0));
  const out: MemoryStats = { time };
  if (limitBytes !== undefined) out.availableBytes = Math.max(0, limitBytes - workingSet);
  out.usageBytes = cg.memoryUsageBytes;
  out.workingSetBytes = workingSet;
  if (cg.memoryRssBytes !== undefined) out.rssBytes = cg.memoryRssBytes;
  if (cg.pageFaults !== undefined) out.pageFaults = cg.pageFaults;
  if (cg.majorPageFaults !== undefined) out.majorPageFaults = cg.majorPageFaults;
  return out;
}

/** An FsStats from a filesystem's capacity plus the usage of one part of it. */
function fsStats(time: string, cap: FsCapacity | undefined, used?: { bytes?: number; inodes?: number }): FsStats {
  const out: FsStats = { time };
  if (cap) {
    out.availableBytes = cap.availableBytes;
    out.capacityBytes = cap.capacityBytes;
  }
  if (used?.bytes !== undefined) out.usedBytes = used.bytes;
  if (cap) {
    out.inodesFree = cap.inodesFree;
    out.inodes = cap.inodes;
  }
  if (used?.inodes !== undefined) out.inodesUsed = used.inodes;
  return out;
}

/** Keeps one sandbox per pod: the ready ones, else the newest (upstream removeTerminatedPods). */
export function liveSandboxes(sandboxes: PodSandbox[]): PodSandbox[] {
  const byPod = new Map<string, PodSandbox[]>();
  for (const s of [...sandboxes].sort((a, b) => a.createdAt - b.createdAt)) {
    const uid = s.metadata?.uid ?? s.id;
    byPod.set(uid, [...(byPod.get(uid) ?? []), s]);
  }
  return [...byPod.values()].flatMap((all) => {
    if (all.length === 1) return all;
    const ready = all.filter((s) => s.state === "SANDBOX_READY");
    return ready.length > 0 ? ready : [all[all.length - 1]!];
  });
}

/** Keeps, per sandbox and container name, the running instances, else the newest (upstream removeTerminatedContainers). */
export function liveContainers(containers: Container[]): Container[] {
  const byName = new Map<string, Container[]>();
  for (const c of [...containers].sort((a, b) => a.createdAt - b.createdAt)) {
    const key = `${c.podSandboxId}/${c.metadata?.name ?? c.id}`;
    byName.set(key, [...(byName.get(key) ?? []), c]);
  }
  return [...byName.values()].flatMap((all) => {
    const running = all.filter((c) => c.state === "CONTAINER_RUNNING");
    return running.length > 0 ? running : [all[all.length - 1]!];
  });
}

/** The Summary reduced to CPU and memory (`?only_cpu_and_memory=true`, `/metrics/resource`), as upstream's GetCPUAndMemoryStats. */
export function cpuAndMemoryOnly(s: Summary): Summary {
  const cm = <T extends { cpu?: CPUStats; memory?: MemoryStats }>(x: T) => ({
    ...(x.cpu ? { cpu: x.cpu } : {}), ...(x.memory ? { memory: x.memory } : {}),
  });
  const node: NodeStats = { nodeName: s.node.nodeName, startTime: s.node.startTime, ...cm(s.node) };
  if (s.node.systemContainers) node.systemContainers = s.node.systemContainers.map((c) => ({ name: c.name, startTime: c.startTime, ...cm(c) }));
  return {
    node,
    pods: s.pods.map((p) => ({
      podRef: p.podRef, startTime: p.startTime,
      containers: p.containers.map((c) => ({ name: c.name, startTime: c.startTime, ...cm(c) })),
      ...cm(p),
    })),
  };
}

/** Builds and caches Summaries. */
export class StatsProvider {
  private readonly rates = new CpuUsageRate();
  private latest?: { at: number; summary: Summary };
  private inFlight?: Promise<Summary>;
  private latestNode?: { at: number; summary: Summary };
  private inFlightNode?: Promise<Summary>;

  constructor(private readonly d: StatsProviderDeps) {}

  /** The Summary, from a sample not older than `maxAgeMs` (default the provider's). */
  async summary(opts: { maxAgeMs?: number } = {}): Promise<Summary> {
    const maxAge = opts.maxAgeMs ?? this.d.maxAgeMs ?? 2000;
    if (this.latest && this.d.clock.now() - this.latest.at <= maxAge) return this.latest.summary;
    this.inFlight ??= this.collect().then((summary) => {
      this.latest = { at: this.d.clock.now(), summary };
      return summary;
    }).finally(() => { this.inFlight = undefined; });
    return this.inFlight;
  }

  /**
   * The node part only (no pods, no runtime lists, no directory walks): what the eviction manager
   * needs every 10 s. A full sample not older than `maxAgeMs` serves too.
   */
  async nodeSummary(opts: { maxAgeMs?: number } = {}): Promise<Summary> {
    const maxAge = opts.maxAgeMs ?? this.d.maxAgeMs ?? 2000;
    const now = this.d.clock.now();
    if (this.latest && now - this.latest.at <= maxAge) return { node: this.latest.summary.node, pods: [] };
    if (this.latestNode && now - this.latestNode.at <= maxAge) return this.latestNode.summary;
    this.inFlightNode ??= this.collect(false).then((summary) => {
      this.latestNode = { at: this.d.clock.now(), summary };
      return summary;
    }).finally(() => { this.inFlightNode = undefined; });
    return this.inFlightNode;
  }

  /** Only CPU and memory of the node, its system containers, pods and containers. */
  async cpuAndMemory(opts: { maxAgeMs?: number } = {}): Promise<Summary> {
    return cpuAndMemoryOnly(await this.summary(opts));
  }

  private warn(what: string) {
    return (err: unknown) => {
      this.d.log.warn("stats: reading failed", { what, err: err instanceof Error ? err.message : String(err) });
      return undefined;
    };
  }

  private cpu(key: string, usageNs: number | undefined, atNs: number, nowMs: number): CPUStats | undefined {
    if (usageNs === undefined) return undefined;
    const out: CPUStats = { time: rfc3339(nsToMs(atNs)) };
    const rate = this.rates.update(key, usageNs, atNs, nowMs);
    if (rate !== undefined) out.usageNanoCores = rate;
    out.usageCoreNanoSeconds = usageNs;
    return out;
  }

  private async collect(withPods = true): Promise<Summary> {
    const { d } = this;
    const nowMs = d.clock.now();
    const now = rfc3339(nowMs);
    const selector = { labelSelector: { [MANAGED_LABEL]: d.nodeName } };
    const kubepods = `${d.paths.cgroupRoot.replace(/\/+$/, "")}/kubepods`;
    // The runtime's lists are the Summary's backbone: without them there is no answer (upstream: 500).
    const [sandboxes, containers, criStats] = withPods
      ? await Promise.all([d.cri.listPodSandbox(selector), d.cri.listContainers(selector), d.cri.listContainerStats(selector)])
      : [[], [], []];
    const [imageFs, root, podsCg, rootFs, logsFs, bootMs, limits] = await Promise.all([
      d.cri.imageFsInfo().catch(this.warn("ImageFsInfo")),
      d.cgroups.stats("/").catch(this.warn("root cgroup")),
      d.cgroups.stats(kubepods).catch(this.warn("pods cgroup")),
      d.fs.fsCapacity(d.paths.rootDir).catch(this.warn("root dir filesystem")),
      d.fs.fsCapacity(d.paths.podLogsDir).catch(this.warn("pod logs filesystem")),
      d.bootTimeMs?.().catch(this.warn("boot time")),
      d.processLimits?.().catch(this.warn("process limits")),
    ]);

    // statfs per mount point, once per sample (image fs, container writable layers).
    const mounts = new Map<string, Promise<FsCapacity | undefined>>();
    const mountCapacity = (mountpoint: string) => {
      let p = mounts.get(mountpoint);
      if (!p) mounts.set(mountpoint, (p = d.fs.fsCapacity(mountpoint).catch(this.warn(`filesystem of ${mountpoint}`))));
      return p;
    };

    const node: NodeStats = { nodeName: d.nodeName, startTime: rfc3339(bootMs ?? 0) };
    const nowNs = nowMs * 1e6;
    if (root) {
      const cpu = this.cpu("node", root.cpuUsageNanos, nowNs, nowMs);
      if (cpu) node.cpu = cpu;
      const memory = cgroupMemoryStats(root, d.memoryCapacityBytes, now);
      if (memory) node.memory = memory;
    }
    if (rootFs) node.fs = fsStats(now, rootFs, { bytes: rootFs.capacityBytes - rootFs.freeBytes, inodes: rootFs.inodes - rootFs.inodesFree });
    const firstImageFs = imageFs?.[0];
    if (firstImageFs) {
      const cap = firstImageFs.fsId?.mountpoint ? await mountCapacity(firstImageFs.fsId.mountpoint) : undefined;
      node.runtime = {
        imageFs: fsStats(rfc3339(nsToMs(firstImageFs.timestamp)), cap, { bytes: firstImageFs.usedBytes?.value, inodes: firstImageFs.inodesUsed?.value }),
      };
    }
    if (limits) node.rlimit = { time: now, maxpid: limits.maxPid, curproc: limits.running };
    if (podsCg) {
      const sys: ContainerStats = { name: SYSTEM_CONTAINER_PODS, startTime: rfc3339(podsCg.createdAtMs ?? 0) };
      const cpu = this.cpu(`cgroup${kubepods}`, podsCg.cpuUsageNanos, nowNs, nowMs);
      if (cpu) sys.cpu = cpu;
      const memory = cgroupMemoryStats(podsCg, podsCg.memoryLimitBytes, now);
      if (memory) sys.memory = memory;
      node.systemContainers = [sys];
    }

    const statsById = new Map<string, CriContainerStats>();
    for (const s of criStats) if (s.attributes) statsById.set(s.attributes.id, s);
    const live = liveContainers(containers);
    const pods: PodStats[] = [];
    for (const sandbox of liveSandboxes(sandboxes)) {
      const mine = live.filter((c) => c.podSandboxId === sandbox.id);
      if (mine.length === 0 || !sandbox.metadata) continue;
      pods.push(await this.podStats(sandbox, mine, statsById, { now, nowMs, nowNs, rootFs, logsFs: logsFs ?? rootFs, mountCapacity }));
    }
    pods.sort((a, b) => `${a.podRef.namespace}/${a.podRef.name}`.localeCompare(`${b.podRef.namespace}/${b.podRef.name}`));
    this.rates.prune(nowMs, CPU_SAMPLE_TTL_MS);
    return { node, pods };
  }

  private async podStats(
    sandbox: PodSandbox, containers: Container[], statsById: Map<string, CriContainerStats>,
    at: { now: string; nowMs: number; nowNs: number; rootFs?: FsCapacity; logsFs?: FsCapacity; mountCapacity: (m: string) => Promise<FsCapacity | undefined> },
  ): Promise<PodStats> {
    const { d } = this;
    const meta = sandbox.metadata!;
    const podLogDir = `${d.paths.podLogsDir}/${meta.namespace}_${meta.name}_${meta.uid}`;
    const out: PodStats = {
      podRef: { name: meta.name, namespace: meta.namespace, uid: meta.uid },
      startTime: rfc3339(nsToMs(sandbox.createdAt)),
      containers: [],
    };
    for (const c of [...containers].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""))) {
      const name = c.metadata?.name ?? "";
      const cs: ContainerStats = { name, startTime: rfc3339(nsToMs(c.createdAt)) };
      const s = statsById.get(c.id);
      if (s?.cpu) {
        const cpu = this.cpu(c.id, s.cpu.usageCoreNanoSeconds?.value, s.cpu.timestamp, at.nowMs);
        if (cpu) cs.cpu = cpu;
      }
      if (s?.memory) {
        const m = s.memory;
        const mem: MemoryStats = { time: rfc3339(nsToMs(m.timestamp)) };
        // containerd reports 0 available for an unlimited container; cAdvisor leaves it out.
        if (m.availableBytes && m.availableBytes.value > 0) mem.availableBytes = m.availableBytes.value;
        if (m.usageBytes) mem.usageBytes = m.usageBytes.value;
        if (m.workingSetBytes) mem.workingSetBytes = m.workingSetBytes.value;
        if (m.rssBytes) mem.rssBytes = m.rssBytes.value;
        if (m.pageFaults) mem.pageFaults = m.pageFaults.value;
        if (m.majorPageFaults) mem.majorPageFaults = m.majorPageFaults.value;
        cs.memory = mem;
      }
      if (s?.writableLayer) {
        const w = s.writableLayer;
        const cap = w.fsId?.mountpoint ? await at.mountCapacity(w.fsId.mountpoint) : undefined;
        // containerd reports timestamp 0 until it has measured the snapshot once.
        cs.rootfs = fsStats(w.timestamp > 0 ? rfc3339(nsToMs(w.timestamp)) : at.now, cap, { bytes: w.usedBytes?.value, inodes: w.inodesUsed?.value });
      }
      const logs = await dirUsage(d.fs, `${podLogDir}/${name}`).catch(() => undefined);
      if (logs) cs.logs = fsStats(at.now, at.logsFs, logs);
      out.containers.push(cs);
    }

    const cg = await this.podCgroup(meta.uid);
    if (cg) {
      const cpu = this.cpu(`pod/${meta.uid}`, cg.cpuUsageNanos, at.nowNs, at.nowMs);
      if (cpu) out.cpu = cpu;
      const memory = cgroupMemoryStats(cg, cg.memoryLimitBytes, at.now);
      if (memory) out.memory = memory;
    }

    const volumes = await this.volumeStats(meta.uid, at.now);
    if (volumes.length > 0) out.volume = volumes.map((v) => v.stats);
    out["ephemeral-storage"] = ephemeralStorage(out.containers, volumes, at.now, at.rootFs);
    if (cg?.processCount !== undefined) out.process_stats = { process_count: cg.processCount };
    return out;
  }

  /** The pod's cgroup in whichever QoS tier it is (the sandbox does not say). */
  private async podCgroup(uid: string): Promise<CgroupStats | undefined> {
    for (const qos of QOS_TIERS) {
      const cg = await this.d.cgroups.stats(podCgroupPath(this.d.paths.cgroupRoot, qos, uid)).catch(() => undefined);
      if (cg) return cg;
    }
    return undefined;
  }

  private async volumeStats(uid: string, now: string): Promise<{ plugin: string; stats: VolumeStats; usage: DirUsage }[]> {
    const base = `${this.d.paths.rootDir}/pods/${uid}/volumes`;
    const out: { plugin: string; stats: VolumeStats; usage: DirUsage }[] = [];
    for (const plugin of VOLUME_PLUGINS) {
      for (const v of await this.d.fs.readDir(`${base}/${plugin}`).catch(() => [])) {
        if (!v.isDirectory) continue;
        const path = `${base}/${plugin}/${v.name}`;
        const [usage, cap] = await Promise.all([dirUsage(this.d.fs, path).catch(() => undefined), this.d.fs.fsCapacity(path).catch(() => undefined)]);
        if (!usage) continue;
        out.push({ plugin, usage, stats: { ...fsStats(now, cap, usage), name: v.name } });
      }
    }
    return out.sort((a, b) => a.stats.name.localeCompare(b.stats.name));
  }
}

/** A pod's ephemeral storage: containers' writable layers and logs plus its local ephemeral volumes (upstream calcEphemeralStorage). */
function ephemeralStorage(containers: ContainerStats[], volumes: { plugin: string; usage: DirUsage }[], now: string, rootFs?: FsCapacity): FsStats {
  let bytes = 0;
  let inodes = 0;
  for (const c of containers) {
    // Upstream counts a container's logs only together with its rootfs.
    if (!c.rootfs) continue;
    bytes += (c.rootfs.usedBytes ?? 0) + (c.logs?.usedBytes ?? 0);
    inodes += (c.rootfs.inodesUsed ?? 0) + (c.logs?.inodesUsed ?? 0);
  }
  for (const v of volumes) {
    if (!EPHEMERAL_PLUGINS.has(v.plugin)) continue;
    bytes += v.usage.bytes;
    inodes += v.usage.inodes;
  }
  return fsStats(now, rootFs, { bytes, inodes });
}
