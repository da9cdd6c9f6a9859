/**
 * QoS-level cgroups and node allocatable enforcement on a real containerd and cgroup v1 hierarchy,
 * through kubelet-ts as a process. The kubelet gets its own cgroupRoot (/kts-qos-<random>), so the
 * values read back are its own; the test removes that hierarchy afterwards.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { appendFileSync, existsSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { closeTestCri } from "./support/cri.ts";
import { eventually } from "./support/eventually.ts";
import { KubeletProcess } from "./support/kubeletProcess.ts";
import { bareId, execIn, keepLog, podManifest, shContainer, statusOf, trapped, waitRunning, withPod } from "./support/podKit.ts";

const test = suite("kubelet QoS cgroups and node allocatable");
const SYS = "/sys/fs/cgroup";
const ROOT = `/kts-qos-${Math.random().toString(36).slice(2, 8)}`;
const KUBE_RESERVED_MEMORY = 256 * 1024 ** 2;
const SYSTEM_RESERVED_CPU = 100;
const RESERVED_PIDS = 100;
const PAGE = 4096;
let k: KubeletProcess;

const read = (controller: string, path: string, file: string) => readFileSync(join(SYS, controller, ROOT, path, file), "utf8").trim();
const shares = (path: string) => Number(read("cpu", path, "cpu.shares"));

test.before(async () => {
  k = await KubeletProcess.create("kts-qos");
  appendFileSync(join(k.dir, "config.yaml"), [
    `cgroupRoot: ${ROOT}`,
    `kubeReserved: {memory: "${KUBE_RESERVED_MEMORY}", pid: "${RESERVED_PIDS}"}`,
    `systemReserved: {cpu: ${SYSTEM_RESERVED_CPU}m}`,
    "",
  ].join("\n"));
  await k.start();
});

/** Removes the test's hierarchy in every controller, children first. */
function removeHierarchy(): string[] {
  const left: string[] = [];
  const rmTree = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
    try { rmdirSync(dir); } catch { left.push(dir); }
  };
  for (const c of readdirSync(SYS)) {
    const dir = join(SYS, c, ROOT);
    if (existsSync(dir)) rmTree(dir);
  }
  return left;
}

test.after(async () => {
  keepLog(k, "qos-cgroups");
  await k?.dispose();
  await closeTestCri();
  const left = removeHierarchy();
  assert.equal(left, [], "the test's cgroup hierarchy is removed");
});

test("at start /kubepods and both QoS tiers exist; besteffort and an empty burstable tier get 2 cpu.shares", async () => {
  for (const c of ["cpu", "memory", "pids"]) {
    for (const p of ["kubepods", "kubepods/burstable", "kubepods/besteffort"]) assert.ok(existsSync(join(SYS, c, ROOT, p)), `${c}${ROOT}/${p}`);
  }
  assert.is(shares("kubepods/besteffort"), 2);
  assert.is(shares("kubepods/burstable"), 2);
});

test("/kubepods enforces node allocatable: capacity minus kube- and system-reserved, no eviction threshold", () => {
  const allocatableMemory = totalmem() - KUBE_RESERVED_MEMORY;
  // The kernel keeps whole pages.
  assert.is(Number(read("memory", "kubepods", "memory.limit_in_bytes")), Math.floor(allocatableMemory / PAGE) * PAGE);
  const allocatableMilli = cpus().length * 1000 - SYSTEM_RESERVED_CPU;
  assert.is(shares("kubepods"), Math.min(Math.floor((allocatableMilli * 1024) / 1000), 262144));
  const pidMax = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  assert.is(Number(read("pids", "kubepods", "pids.max")), pidMax - RESERVED_PIDS);
});

test("a burstable pod requesting 300m raises burstable cpu.shares to 307 and runs under its pod cgroup; removing it brings them back to 2", async () => {
  const pod = podManifest("qos-burstable", { containers: [shContainer("main", trapped(), { resources: { requests: { cpu: "300m" } } })] });
  let uid = "";
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "qos-burstable");
    uid = p.metadata.uid!;
    assert.is(p.status!.qosClass, "Burstable");
    await eventually("burstable cpu.shares 307", () => (shares("kubepods/burstable") === 307 ? true : undefined), { describe: () => `cpu.shares ${shares("kubepods/burstable")}` });
    assert.is(shares("kubepods/besteffort"), 2);
    assert.is(shares(`kubepods/burstable/pod${uid}`), 307, "the pod cgroup's own shares");
    const { stdout } = await execIn(bareId(statusOf(p, "main")), ["cat", "/proc/self/cgroup"]);
    const cpuLine = stdout.split("\n").find((l) => /:(cpu,cpuacct|cpuacct,cpu|cpu):/.test(l)) ?? "";
    assert.ok(cpuLine.includes(`${ROOT}/kubepods/burstable/pod${uid}/`), `container cgroup: ${cpuLine}`);
  });
  await eventually("burstable cpu.shares back to 2", () => (shares("kubepods/burstable") === 2 ? true : undefined), { describe: () => `cpu.shares ${shares("kubepods/burstable")}` });
  assert.not.ok(existsSync(join(SYS, "cpu", ROOT, "kubepods/burstable", `pod${uid}`)), "the pod cgroup is gone");
});

test("a besteffort pod runs under the besteffort tier and leaves the burstable shares alone", async () => {
  const pod = podManifest("qos-besteffort", { containers: [shContainer("main", trapped())] });
  await withPod(k, pod, async () => {
    const p = await waitRunning(k, "qos-besteffort");
    assert.is(p.status!.qosClass, "BestEffort");
    const { stdout } = await execIn(bareId(statusOf(p, "main")), ["cat", "/proc/self/cgroup"]);
    const memLine = stdout.split("\n").find((l) => /:memory:/.test(l)) ?? "";
    assert.ok(memLine.includes(`${ROOT}/kubepods/besteffort/pod${p.metadata.uid}/`), `container cgroup: ${memLine}`);
    assert.is(shares("kubepods/burstable"), 2);
    assert.is(shares("kubepods/besteffort"), 2);
  });
});

test.run();
