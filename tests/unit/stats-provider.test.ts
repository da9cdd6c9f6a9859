/**
 * The stats provider's Summary from fake CRI stats, fake cgroup readings and an in-memory Fs:
 * assembly, usageNanoCores from two samples, working set and available memory, sandbox and
 * container de-duplication, sharing of one sample, and graceful degradation when data is missing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Container, ContainerStats, FilesystemUsage, PodSandbox } from "../../bindings/cri/types.ts";
import { silentLogger } from "../../kubelet/log.ts";
import type { CgroupStats } from "../../kubelet/ports/cgroupStats.ts";
import { CpuUsageRate } from "../../kubelet/stats/cpuUsageRate.ts";
import { cgroupMemoryStats, cpuAndMemoryOnly, liveContainers, liveSandboxes, rfc3339, StatsProvider, type StatsProviderDeps } from "../../kubelet/stats/statsProvider.ts";
import { memoryFs } from "./support/memoryFs.ts";

const MiB = 1 << 20;
const T0 = Date.UTC(2021, 0, 1, 12, 0, 0);
const NODE = "node-a";
const UID = "uid-1";

/** A CRI fake with the four calls the provider makes; tests edit its lists between samples. */
class FakeStatsCri {
  sandboxes: PodSandbox[] = [];
  containers: Container[] = [];
  stats: ContainerStats[] = [];
  imageFs: FilesystemUsage[] = [{ timestamp: T0 * 1e6, fsId: { mountpoint: "/var/lib/containerd" }, usedBytes: { value: 500 * MiB }, inodesUsed: { value: 42 } }];
  failLists = false;
  selectors: unknown[] = [];
  async listPodSandbox(filter?: unknown) { this.selectors.push(filter); if (this.failLists) throw new Error("runtime down"); return this.sandboxes; }
  async listContainers() { return this.containers; }
  async listContainerStats() { return this.stats; }
  async imageFsInfo() { return this.imageFs; }
}

/** Cgroup readings by path, as a fake Cgroups port would give them. */
class FakeCgroupStats {
  byPath = new Map<string, CgroupStats>();
  async stats(path: string) { return this.byPath.get(path); }
}

const sandbox = (id: string, name: string, uid: string, createdSec: number, state: PodSandbox["state"] = "SANDBOX_READY"): PodSandbox => ({
  id, metadata: { name, uid, namespace: "default", attempt: 0 }, state, createdAt: (T0 + createdSec * 1000) * 1e6, labels: {}, annotations: {}, runtimeHandler: "",
});
const container = (id: string, sandboxId: string, name: string, createdSec: number, state: Container["state"] = "CONTAINER_RUNNING"): Container => ({
  id, podSandboxId: sandboxId, metadata: { name, attempt: 0 }, image: null, imageRef: "", state, createdAt: (T0 + createdSec * 1000) * 1e6, labels: {}, annotations: {},
});
const criStats = (id: string, atMs: number, cpuNs: number, workingSet: number): ContainerStats => ({
  attributes: { id, metadata: null, labels: {}, annotations: {} },
  cpu: { timestamp: atMs * 1e6, usageCoreNanoSeconds: { value: cpuNs }, usageNanoCores: { value: 7 } },
  memory: {
    timestamp: atMs * 1e6, workingSetBytes: { value: workingSet }, availableBytes: { value: 0 }, usageBytes: { value: workingSet + MiB },
    rssBytes: { value: workingSet }, pageFaults: { value: 10 }, majorPageFaults: null,
  },
  writableLayer: { timestamp: atMs * 1e6, fsId: { mountpoint: "/var/lib/containerd" }, usedBytes: { value: 4096 }, inodesUsed: { value: 3 } },
});

function setup() {
  const cri = new FakeStatsCri();
  const cgroups = new FakeCgroupStats();
  const { fs, capacity } = memoryFs({
    [`/var/log/pods/default_web_${UID}/app/0.log`]: "x".repeat(1000),
    [`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~empty-dir/scratch/data`]: "y".repeat(2000),
    [`/var/lib/kubelet/pods/${UID}/volumes/kubernetes.io~secret/token/token`]: "z".repeat(10),
  });
  // The image filesystem's mount point lives in the same in-memory tree (one filesystem).
  void fs.mkdirp("/var/lib/containerd");
  const clock = { t: T0, now() { return this.t; } };
  cri.sandboxes = [sandbox("sb1", "web", UID, 0)];
  cri.containers = [container("c1", "sb1", "app", 1)];
  cri.stats = [criStats("c1", T0, 1_000_000_000, 30 * MiB)];
  cgroups.byPath.set("/", { cpuUsageNanos: 100e9, memoryUsageBytes: 3000 * MiB, memoryInactiveFileBytes: 1000 * MiB, memoryRssBytes: 1500 * MiB, pageFaults: 5, majorPageFaults: 1 });
  cgroups.byPath.set("/kubepods", { cpuUsageNanos: 50e9, memoryUsageBytes: 200 * MiB, memoryInactiveFileBytes: 50 * MiB, memoryLimitBytes: 7000 * MiB, createdAtMs: T0 - 3600_000 });
  cgroups.byPath.set(`/kubepods/burstable/pod${UID}`, { cpuUsageNanos: 2e9, memoryUsageBytes: 40 * MiB, memoryInactiveFileBytes: 8 * MiB, memoryLimitBytes: 64 * MiB, processCount: 2 });
  const deps: StatsProviderDeps = {
    cri, cgroups, fs, clock, log: silentLogger, nodeName: NODE,
    paths: { rootDir: "/var/lib/kubelet", podLogsDir: "/var/log/pods", cgroupRoot: "/" },
    memoryCapacityBytes: 8000 * MiB,
    bootTimeMs: async () => T0 - 86_400_000,
    processLimits: async () => ({ maxPid: 32768, running: 300 }),
    maxAgeMs: 1000,
  };
  return { cri, cgroups, fs, capacity, clock, deps, provider: new StatsProvider(deps) };
}

test("the Summary assembles node, system container, pod and container stats from CRI, cgroups and the filesystem", async () => {
  const { provider, cri } = setup();
  const s = await provider.summary();
  assert.equal(cri.selectors[0], { labelSelector: { "io.kubelet-ts.managed": NODE } }, "only this kubelet's sandboxes");
  const n = s.node;
  assert.is(n.nodeName, NODE);
  assert.is(n.startTime, "2020-12-31T12:00:00Z", "boot time");
  assert.equal(n.cpu, { time: "2021-01-01T12:00:00Z", usageCoreNanoSeconds: 100e9 }, "first sample: no rate yet");
  assert.equal(n.memory, {
    time: "2021-01-01T12:00:00Z", availableBytes: 6000 * MiB, usageBytes: 3000 * MiB, workingSetBytes: 2000 * MiB, rssBytes: 1500 * MiB, pageFaults: 5, majorPageFaults: 1,
  });
  assert.equal(n.fs, { time: "2021-01-01T12:00:00Z", availableBytes: 60 * MiB, capacityBytes: 100 * MiB, usedBytes: 36 * MiB, inodesFree: 900, inodes: 1000, inodesUsed: 100 });
  assert.equal(n.runtime?.imageFs, { time: "2021-01-01T12:00:00Z", availableBytes: 60 * MiB, capacityBytes: 100 * MiB, usedBytes: 500 * MiB, inodesFree: 900, inodes: 1000, inodesUsed: 42 });
  assert.equal(n.rlimit, { time: "2021-01-01T12:00:00Z", maxpid: 32768, curproc: 300 });
  assert.equal(n.systemContainers?.map((c) => [c.name, c.startTime, c.memory?.workingSetBytes, c.memory?.availableBytes]), [["pods", "2021-01-01T11:00:00Z", 150 * MiB, 6850 * MiB]]);

  assert.is(s.pods.length, 1);
  const p = s.pods[0]!;
  assert.equal(p.podRef, { name: "web", namespace: "default", uid: UID });
  assert.is(p.startTime, "2021-01-01T12:00:00Z");
  assert.equal(p.memory, { time: "2021-01-01T12:00:00Z", availableBytes: 32 * MiB, usageBytes: 40 * MiB, workingSetBytes: 32 * MiB });
  assert.equal(p.process_stats, { process_count: 2 });
  const c = p.containers[0]!;
  assert.is(c.name, "app");
  assert.is(c.startTime, "2021-01-01T12:00:01Z");
  assert.equal(c.cpu, { time: "2021-01-01T12:00:00Z", usageCoreNanoSeconds: 1e9 }, "the runtime's own nanocores are not used");
  assert.equal(c.memory, { time: "2021-01-01T12:00:00Z", usageBytes: 31 * MiB, workingSetBytes: 30 * MiB, rssBytes: 30 * MiB, pageFaults: 10 }, "0 available (unlimited) left out");
  assert.equal(c.rootfs, { time: "2021-01-01T12:00:00Z", availableBytes: 60 * MiB, capacityBytes: 100 * MiB, usedBytes: 4096, inodesFree: 900, inodes: 1000, inodesUsed: 3 });
  assert.is(c.logs?.usedBytes, 1000, "the container's log files");
  assert.is(c.logs?.inodesUsed, 2, "its log dir and one file");
  assert.equal(p.volume?.map((v) => [v.name, v.usedBytes, v.inodesUsed]), [["scratch", 2000, 2], ["token", 10, 2]]);
  assert.is(p["ephemeral-storage"]?.usedBytes, 4096 + 1000 + 2000, "rootfs + logs + emptyDir; the secret is not local ephemeral storage");
  assert.is(p["ephemeral-storage"]?.inodesUsed, 3 + 2 + 2);
});

test("usageNanoCores comes from two cumulative samples of the container, the pod and the node", async () => {
  const { provider, cri, cgroups, clock } = setup();
  await provider.summary();
  clock.t += 2000;
  cri.stats = [criStats("c1", T0 + 2000, 1_000_000_000 + 1_000_000_000, 30 * MiB)];
  cgroups.byPath.get("/")!.cpuUsageNanos = 100e9 + 4e9;
  cgroups.byPath.get(`/kubepods/burstable/pod${UID}`)!.cpuUsageNanos = 2e9 + 1.5e9;
  const s = await provider.summary();
  assert.is(s.pods[0]!.containers[0]!.cpu?.usageNanoCores, 500_000_000, "1 s of CPU in 2 s = half a core");
  assert.is(s.pods[0]!.cpu?.usageNanoCores, 750_000_000);
  assert.is(s.node.cpu?.usageNanoCores, 2_000_000_000);
  assert.is(s.pods[0]!.containers[0]!.cpu?.time, "2021-01-01T12:00:02Z");
});

test("CpuUsageRate: first sample and a counter reset give no rate; no elapsed time repeats the last rate; stale keys are pruned", () => {
  const r = new CpuUsageRate();
  assert.is(r.update("a", 1e9, 0, 0), undefined);
  assert.is(r.update("a", 2e9, 1e9, 1000), 1e9);
  assert.is(r.update("a", 2e9, 1e9, 1500), 1e9, "same timestamp");
  assert.is(r.update("a", 5e8, 2e9, 2000), undefined, "counter went backwards: a new cgroup");
  assert.is(r.update("a", 1e9, 3e9, 3000), 5e8);
  r.update("b", 1, 0, 3000);
  r.prune(200_000, 120_000);
  assert.is(r.size, 0);
});

test("one sample is shared while younger than maxAgeMs; concurrent callers share one collection", async () => {
  const { provider, cri, clock } = setup();
  const [a, b] = await Promise.all([provider.summary(), provider.summary()]);
  assert.is(a, b);
  assert.is(cri.selectors.length, 1);
  clock.t += 500;
  assert.is(await provider.summary(), a, "still fresh");
  clock.t += 1000;
  const c = await provider.summary();
  assert.is.not(c, a, "a stale sample is re-read");
  assert.is(cri.selectors.length, 2);
  clock.t += 1;
  assert.is.not(await provider.summary({ maxAgeMs: 0 }), c, "a caller may ask for a fresher sample");
});

test("nodeSummary: the node part without runtime lists or pods; a fresh full sample serves it", async () => {
  const { provider, cri, clock } = setup();
  const n = await provider.nodeSummary();
  assert.equal(n.pods, []);
  assert.is(cri.selectors.length, 0, "no ListPodSandbox");
  assert.ok(n.node.memory?.workingSetBytes !== undefined && n.node.fs?.availableBytes !== undefined && n.node.runtime?.imageFs && n.node.rlimit);
  clock.t += 2000;
  const full = await provider.summary();
  assert.is(cri.selectors.length, 1);
  assert.is((await provider.nodeSummary()).node, full.node, "the full sample's node part");
});

test("working set is usage minus inactive file (never negative); available is limit minus working set, absent without a limit", () => {
  assert.equal(cgroupMemoryStats({ memoryUsageBytes: 100, memoryInactiveFileBytes: 30 }, 1000, "t"), { time: "t", availableBytes: 930, usageBytes: 100, workingSetBytes: 70 });
  assert.equal(cgroupMemoryStats({ memoryUsageBytes: 10, memoryInactiveFileBytes: 30 }, undefined, "t"), { time: "t", usageBytes: 10, workingSetBytes: 0 });
  assert.equal(cgroupMemoryStats({ memoryUsageBytes: 2000 }, 1000, "t")?.availableBytes, 0, "over the limit: 0, not negative");
  assert.is(cgroupMemoryStats({ cpuUsageNanos: 1 }, 1000, "t"), undefined, "no memory reading, no memory stats");
});

test("a container without runtime stats is reported without cpu, memory and rootfs; missing cgroups and filesystems are left out", async () => {
  const { provider, cri, cgroups, deps } = setup();
  cri.containers.push(container("c2", "sb1", "sidecar", 2, "CONTAINER_CREATED"));
  cri.stats.push({ attributes: { id: "c3", metadata: null, labels: {}, annotations: {} }, cpu: null, memory: null, writableLayer: null });
  cri.imageFs = [];
  cgroups.byPath.clear();
  deps.bootTimeMs = async () => { throw new Error("no /proc"); };
  deps.processLimits = undefined;
  const s = await provider.summary();
  const sidecar = s.pods[0]!.containers.find((c) => c.name === "sidecar")!;
  assert.equal(Object.keys(sidecar).sort(), ["name", "startTime"]);
  assert.is(s.pods[0]!.cpu, undefined);
  assert.is(s.pods[0]!.memory, undefined);
  assert.is(s.pods[0]!.process_stats, undefined);
  assert.is(s.node.cpu, undefined);
  assert.is(s.node.memory, undefined);
  assert.is(s.node.runtime, undefined);
  assert.is(s.node.rlimit, undefined);
  assert.is(s.node.systemContainers, undefined);
  assert.is(s.node.startTime, "1970-01-01T00:00:00Z");
  assert.ok(s.node.fs, "what could be read still is");
});

test("a runtime that cannot list fails the Summary (the endpoint answers 500)", async () => {
  const { provider, cri } = setup();
  cri.failLists = true;
  const err = await provider.summary().then(() => undefined, (e: Error) => e);
  assert.match(err?.message ?? "", /runtime down/);
  cri.failLists = false;
  assert.is((await provider.summary()).pods.length, 1, "the next call tries again");
});

test("sandboxes: the ready ones of a pod, else its newest; containers: the running instance, else the newest", () => {
  const sbs = [sandbox("old", "web", "u", 0, "SANDBOX_NOTREADY"), sandbox("new", "web", "u", 5), sandbox("x1", "job", "v", 0, "SANDBOX_NOTREADY"), sandbox("x2", "job", "v", 3, "SANDBOX_NOTREADY")];
  assert.equal(liveSandboxes(sbs).map((s) => s.id).sort(), ["new", "x2"]);
  const cs = [container("a0", "new", "app", 0, "CONTAINER_EXITED"), container("a1", "new", "app", 5), container("b0", "new", "init", 0, "CONTAINER_EXITED"), container("b1", "new", "init", 2, "CONTAINER_EXITED")];
  assert.equal(liveContainers(cs).map((c) => c.id).sort(), ["a1", "b1"]);
});

test("only CPU and memory: the node, system containers, pods and containers keep cpu and memory only", async () => {
  const { provider } = setup();
  const s = cpuAndMemoryOnly(await provider.summary());
  assert.equal(Object.keys(s.node).sort(), ["cpu", "memory", "nodeName", "startTime", "systemContainers"]);
  assert.equal(Object.keys(s.pods[0]!).sort(), ["containers", "cpu", "memory", "podRef", "startTime"], "no volume, ephemeral-storage, process_stats");
  assert.equal(Object.keys(s.pods[0]!.containers[0]!).sort(), ["cpu", "memory", "name", "startTime"]);
});

test("rfc3339 prints metav1.Time: whole seconds, UTC", () => {
  assert.is(rfc3339(Date.UTC(2021, 0, 2, 3, 4, 5, 678)), "2021-01-02T03:04:05Z");
});

test.run();
