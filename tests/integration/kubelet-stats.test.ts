/**
 * The Summary API and resource metrics of kubelet-ts as a process on a real containerd: a pod
 * burning CPU and one holding 64 MiB show up in /stats/summary with their usage, the node's CPU,
 * memory, filesystems and rlimit are consistent, and /metrics/resource carries their series.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { PodStats, Summary } from "../../bindings/kube/stats.ts";
import { closeTestCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { keepLog, podManifest, removeAndWait, shContainer, trapped, waitRunning } from "./support/podKit.ts";

const test = suite("kubelet stats");
let k: KubeletProcess;
const MiB = 1 << 20;

test.before(async () => {
  k = await KubeletProcess.create("kts-stats");
  await k.start();
  k.writeManifest("burn.json", podManifest("stats-burn", { containers: [shContainer("burn", trapped("while true; do :; done"))] }));
  // The shell keeps a 64 MiB string in a variable: anonymous memory, all of it in the working set.
  k.writeManifest("hold.json", podManifest("stats-hold", {
    containers: [shContainer("hold", trapped("x=$(head -c 67108864 /dev/zero | tr '\\0' a); echo held; while true; do sleep 1; done"))],
  }));
  await Promise.all([waitRunning(k, "stats-burn"), waitRunning(k, "stats-hold")]);
});
test.after(async () => {
  keepLog(k, "stats");
  for (const [file, name] of [["burn.json", "stats-burn"], ["hold.json", "stats-hold"]] as const) await removeAndWait(k, file, name).catch(() => {});
  await k?.dispose();
  await closeTestCri();
});

async function get(path: string): Promise<Response> {
  const res = await fetch(`http://127.0.0.1:${k.port}${path}`);
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return res;
}
const summary = async (query = "") => (await (await get(`/stats/summary${query}`)).json()) as Summary;
const podOf = (s: Summary, name: string): PodStats | undefined => s.pods.find((p) => p.podRef.name === k.podName(name));

test("the CPU burner's container and pod show usageNanoCores > 0 from two samples", async () => {
  const s = await eventually("burner usageNanoCores > 0", async () => {
    const s = await summary();
    const c = podOf(s, "stats-burn")?.containers.find((x) => x.name === "burn");
    return (c?.cpu?.usageNanoCores ?? 0) > 0 ? s : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  const pod = podOf(s, "stats-burn")!;
  assert.is(pod.podRef.namespace, "default");
  assert.ok(pod.podRef.uid.length > 0);
  const c = pod.containers.find((x) => x.name === "burn")!;
  assert.ok(c.cpu!.usageNanoCores! > 100_000_000, `a busy loop uses a good part of a core (${c.cpu!.usageNanoCores})`);
  assert.ok(c.cpu!.usageCoreNanoSeconds! > 0);
  assert.ok(c.memory?.workingSetBytes !== undefined, "container working set from CRI");
  assert.ok(c.rootfs && c.rootfs.capacityBytes! > 0, "writable layer on a filesystem with a capacity");
  assert.ok(c.logs && c.logs.usedBytes! >= 0 && c.logs.capacityBytes! > 0, "logs usage of the container's log dir");
  assert.ok(Date.parse(c.startTime) > 0 && Date.parse(pod.startTime) <= Date.parse(c.startTime) + 1000);
  assert.ok(pod.cpu && pod.cpu.usageCoreNanoSeconds! >= c.cpu!.usageCoreNanoSeconds! * 0.9, "pod cgroup CPU covers its container");
  assert.ok(pod["ephemeral-storage"] && pod["ephemeral-storage"].usedBytes! >= 0);
  assert.ok((pod.process_stats?.process_count ?? 0) >= 1, "the pod's processes");
});

test("the memory holder's container and pod working sets are at least ~64 MiB", async () => {
  const s = await eventually("holder working set >= 60 MiB", async () => {
    const s = await summary();
    const c = podOf(s, "stats-hold")?.containers.find((x) => x.name === "hold");
    return (c?.memory?.workingSetBytes ?? 0) >= 60 * MiB ? s : undefined;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  const pod = podOf(s, "stats-hold")!;
  assert.ok(pod.memory!.workingSetBytes! >= 60 * MiB, `pod cgroup working set ${pod.memory!.workingSetBytes}`);
  assert.ok(pod.memory!.usageBytes! >= pod.memory!.workingSetBytes!);
});

test("node CPU, memory, fs, imageFs and rlimit are present and consistent", async () => {
  const s = await eventually("node usageNanoCores", async () => {
    const s = await summary();
    return s.node.cpu?.usageNanoCores !== undefined ? s : undefined;
  }, { intervalMs: 500 });
  const n = s.node;
  assert.is(n.nodeName, k.nodeName);
  assert.ok(Date.parse(n.startTime) > 0 && Date.parse(n.startTime) < Date.now(), "boot time");
  assert.ok(n.cpu!.usageCoreNanoSeconds! > 0 && n.cpu!.usageNanoCores! > 0);
  const m = n.memory!;
  assert.ok(m.workingSetBytes! > 0 && m.usageBytes! >= m.workingSetBytes!, "working set = usage - inactive file");
  assert.ok(m.availableBytes! > 0);
  assert.ok(m.availableBytes! + m.workingSetBytes! > 64 * MiB, "available + working set = capacity");
  const fs = n.fs!;
  assert.ok(fs.capacityBytes! > 0 && fs.availableBytes! <= fs.capacityBytes! && fs.usedBytes! > 0 && fs.usedBytes! <= fs.capacityBytes!);
  assert.ok(fs.inodes! > 0 && fs.inodesFree! <= fs.inodes!);
  const img = n.runtime?.imageFs;
  assert.ok(img, "imageFs from ImageFsInfo");
  assert.ok(img!.usedBytes! > 0, "images use space");
  assert.ok(img!.capacityBytes! > 0 && img!.availableBytes! <= img!.capacityBytes!);
  assert.ok(n.rlimit!.maxpid! > 0 && n.rlimit!.curproc! > 0);
  const pods = n.systemContainers?.find((c) => c.name === "pods");
  assert.ok(pods?.memory?.workingSetBytes !== undefined, "the pods system container");
});

test("only_cpu_and_memory=true leaves out filesystems, volumes and rlimit", async () => {
  const s = await summary("?only_cpu_and_memory=true");
  assert.is(s.node.fs, undefined);
  assert.is(s.node.runtime, undefined);
  assert.is(s.node.rlimit, undefined);
  assert.ok(s.node.cpu && s.node.memory);
  const pod = podOf(s, "stats-burn")!;
  assert.is(pod["ephemeral-storage"], undefined);
  assert.is(pod.containers[0]!.rootfs, undefined);
  assert.is(pod.containers[0]!.logs, undefined);
  assert.ok(pod.containers[0]!.cpu);
});

test("/metrics/resource has the node, pod and container series with timestamps, scrape_error 0", async () => {
  const res = await get("/metrics/resource");
  assert.is(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  const body = await res.text();
  const burn = k.podName("stats-burn");
  const hold = k.podName("stats-hold");
  assert.match(body, "# TYPE container_cpu_usage_seconds_total counter");
  assert.match(body, new RegExp(`^container_cpu_usage_seconds_total\\{container="burn",namespace="default",pod="${burn}"\\} [0-9.e+]+ \\d{13}$`, "m"));
  assert.match(body, new RegExp(`^container_memory_working_set_bytes\\{container="hold",namespace="default",pod="${hold}"\\} [0-9.e+]+ \\d{13}$`, "m"));
  assert.match(body, new RegExp(`^pod_cpu_usage_seconds_total\\{namespace="default",pod="${burn}"\\} `, "m"));
  assert.match(body, new RegExp(`^pod_memory_working_set_bytes\\{namespace="default",pod="${hold}"\\} `, "m"));
  assert.match(body, /^node_cpu_usage_seconds_total [0-9.e+]+ \d{13}$/m);
  assert.match(body, /^node_memory_working_set_bytes [0-9.e+]+ \d{13}$/m);
  assert.match(body, /^scrape_error 0$/m);
});

test.run();
