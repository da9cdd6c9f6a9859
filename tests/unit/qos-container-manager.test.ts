/**
 * QoS-level cgroups and node allocatable enforcement (upstream qos_container_manager_linux.go and
 * node_container_manager_linux.go with cgroupsPerQOS, enforceNodeAllocatable ["pods"], cgroup v1).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import { WasmQuantityParser } from "../../bindings/core/quantity.ts";
import { WasmResourceAccounting, type Bytes, type MilliCPU } from "../../bindings/core/resources.ts";
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { nodeCgroups } from "../../hosts/node/cgroups.ts";
import { CoreResourceAccounting } from "../../kubelet/cm/coreResourceAccounting.ts";
import { nodeAllocatableCgroupLimits, parseReservation, ReservationError } from "../../kubelet/cm/nodeContainerManager.ts";
import { MIN_SHARES, QosContainerManager, qosCpuShares } from "../../kubelet/cm/qosContainerManager.ts";
import { MemoryEventRecorder } from "../../kubelet/events/recorder.ts";
import type { Logger } from "../../kubelet/log.ts";
import type { CgroupLimits, Cgroups, CgroupWriteFailure } from "../../kubelet/ports/cgroups.ts";
import { fakeClock, settle } from "./support/fakeTime.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const quantities = new WasmQuantityParser(core);
const coreAccounting = new WasmResourceAccounting(core);
const GiB = 1024 ** 3;
const accounting = new CoreResourceAccounting(quantities, coreAccounting, { memoryCapacity: (8 * GiB) as Bytes }, { cpu: 4000 as MilliCPU, memory: (8 * GiB) as Bytes, pods: 110 });

let uidSeq = 0;
function ctr(name: string, requests?: Record<string, string>, limits?: Record<string, string>): Container {
  return { name, image: "busybox", resources: { requests, limits } } as Container;
}
function pod(containers: Container[], extra: Partial<Pod["spec"]> = {}): Pod {
  return { metadata: { name: `p${++uidSeq}`, namespace: "default", uid: `uid-${uidSeq}` }, spec: { containers, ...extra } } as Pod;
}

/** A fake Cgroups port that records writes and can refuse files. */
function fakeCgroups(refuse: (path: string, file: string) => string | undefined = () => undefined) {
  const dirs = new Set<string>();
  const values = new Map<string, Partial<CgroupLimits>>();
  const writes: { path: string; limits: CgroupLimits }[] = [];
  const FILES: [keyof CgroupLimits, string][] = [["cpuShares", "cpu.shares"], ["memoryLimitBytes", "memory.limit_in_bytes"], ["pidsLimit", "pids.max"], ["cpuQuota", "cpu.cfs_quota_us"], ["cpuPeriod", "cpu.cfs_period_us"]];
  const cgroups: Cgroups = {
    async ensure(path) { dirs.add(path); },
    async remove(path) { dirs.delete(path); return true; },
    async exists(path) { return dirs.has(path); },
    async children() { return []; },
    async set(path, limits) {
      writes.push({ path, limits });
      const failures: CgroupWriteFailure[] = [];
      const cur = values.get(path) ?? {};
      for (const [key, file] of FILES) {
        const v = limits[key];
        if (v === undefined) continue;
        const why = !dirs.has(path) ? "ENOENT" : refuse(path, file);
        if (why) failures.push({ file, value: v, message: why });
        else cur[key] = v;
      }
      values.set(path, cur);
      return failures;
    },
  };
  return { cgroups, dirs, values, writes };
}

function recordingLog() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    info: (_v, msg, fields) => lines.push({ level: "info", msg, fields }),
    warn: (msg, fields) => lines.push({ level: "warn", msg, fields }),
    error: (msg, fields) => lines.push({ level: "error", msg, fields }),
    enabled: () => true,
  };
  return { log, lines };
}

test("besteffort gets MinShares (2) and burstable 2 when no burstable pod is active", () => {
  assert.equal(qosCpuShares([], accounting), { burstable: MIN_SHARES, besteffort: 2 });
  const guaranteed = pod([ctr("a", { cpu: "1", memory: "1Gi" }, { cpu: "1", memory: "1Gi" })]);
  const besteffort = pod([ctr("a")]);
  assert.equal(qosCpuShares([guaranteed, besteffort], accounting), { burstable: 2, besteffort: 2 });
});

test("burstable cpu.shares come from the summed cpu requests of burstable pods (300m -> 307)", () => {
  const b1 = pod([ctr("a", { cpu: "300m" })]);
  assert.is(qosCpuShares([b1], accounting).burstable, 307);
  const b2 = pod([ctr("a", { cpu: "200m" }), ctr("b", { memory: "64Mi" })]);
  assert.is(qosCpuShares([b1, b2], accounting).burstable, 512, "500m -> 512");
  const memoryOnly = pod([ctr("a", { memory: "64Mi" })]);
  assert.is(qosCpuShares([memoryOnly], accounting).burstable, 2, "a burstable pod without a cpu request adds nothing");
});

test("burstable pod requests count init containers and overhead as upstream PodRequestsAndLimits", () => {
  // max(sum(apps)=200m, max(init)=700m) + overhead 100m = 800m -> 819 shares
  const p = pod([ctr("a", { cpu: "100m" }), ctr("b", { cpu: "100m" })], {
    initContainers: [ctr("init", { cpu: "700m" })], overhead: { cpu: "100m" },
  });
  assert.is(accounting.podCpuRequestMilli(p), 800);
  assert.is(qosCpuShares([p], accounting).burstable, 819);
});

test("cpuShares through the core clamps as MilliCPUToShares", () => {
  assert.is(accounting.cpuShares(0), 2);
  assert.is(accounting.cpuShares(1), 2);
  assert.is(accounting.cpuShares(1000), 1024);
  assert.is(accounting.cpuShares(1_000_000), 262144);
});

test("node allocatable on /kubepods: capacity minus kube- and system-reserved, without the eviction threshold", () => {
  const limits = nodeAllocatableCgroupLimits({
    capacity: { cpu: 4000 as MilliCPU, memory: (8 * GiB) as Bytes, ephemeralStorage: (100 * GiB) as Bytes, pods: 110 },
    pidMax: 32768,
    kubeReserved: parseReservation({ cpu: "500m", memory: "1Gi", pid: "1000" }, "kubeReserved", quantities),
    systemReserved: parseReservation({ cpu: "250m", memory: "512Mi" }, "systemReserved", quantities),
    enforceNodeAllocatable: ["pods"],
  }, coreAccounting, (m) => accounting.cpuShares(m));
  assert.equal(limits, { cpuShares: 3328, memoryLimitBytes: 8 * GiB - GiB - 512 * 1024 ** 2, pidsLimit: 31768 });
});

test("without 'pods' in enforceNodeAllocatable /kubepods gets the capacity (cpu.shares must not stay 1024)", () => {
  const limits = nodeAllocatableCgroupLimits({
    capacity: { cpu: 2000 as MilliCPU, memory: (4 * GiB) as Bytes },
    kubeReserved: parseReservation({ memory: "1Gi" }, "kubeReserved", quantities),
    systemReserved: { list: {} },
    enforceNodeAllocatable: [],
  }, coreAccounting, (m) => accounting.cpuShares(m));
  assert.equal(limits, { cpuShares: 2048, memoryLimitBytes: 4 * GiB });
});

test("reservations floor at zero and invalid ones name the field", () => {
  const limits = nodeAllocatableCgroupLimits({
    capacity: { cpu: 1000 as MilliCPU, memory: GiB as Bytes },
    kubeReserved: parseReservation({ memory: "2Gi", cpu: "2" }, "kubeReserved", quantities),
    systemReserved: { list: {} },
    enforceNodeAllocatable: ["pods"],
  }, coreAccounting, (m) => accounting.cpuShares(m));
  assert.equal(limits, { cpuShares: 2, memoryLimitBytes: 0 });
  assert.throws(() => parseReservation({ memory: "lots" }, "systemReserved", quantities), (e: Error) => e instanceof ReservationError && e.message.startsWith("systemReserved.memory"));
});

function manager(opts: { refuse?: (path: string, file: string) => string | undefined; pods?: Pod[] } = {}) {
  const fake = fakeCgroups(opts.refuse);
  const { log, lines } = recordingLog();
  const { clock, advance } = fakeClock();
  const events = new MemoryEventRecorder(() => clock.now(), log, 100);
  const pods = opts.pods ?? [];
  const qos = new QosContainerManager({
    cgroups: fake.cgroups, clock, log, events, nodeName: "n1", cgroupRoot: "/kts",
    nodeAllocatable: { cpuShares: 4096, memoryLimitBytes: 7 * GiB }, accounting, activePods: () => pods,
  });
  return { qos, fake, lines, advance, pods, events };
}

test("start creates /kubepods with the allocatable values and both tiers with their shares", async () => {
  const m = manager();
  await m.qos.start();
  assert.ok(m.fake.dirs.has("/kts/kubepods") && m.fake.dirs.has("/kts/kubepods/burstable") && m.fake.dirs.has("/kts/kubepods/besteffort"));
  assert.equal(m.fake.values.get("/kts/kubepods"), { cpuShares: 4096, memoryLimitBytes: 7 * GiB });
  assert.equal(m.fake.values.get("/kts/kubepods/besteffort"), { cpuShares: 2 });
  assert.equal(m.fake.values.get("/kts/kubepods/burstable"), { cpuShares: 2 });
  assert.ok(m.events.list().some((e) => e.reason === "NodeAllocatableEnforced"));
  m.qos.stop();
});

test("burstable shares follow pods being added and removed; unchanged values are not rewritten", async () => {
  const m = manager();
  await m.qos.start();
  const b = pod([ctr("a", { cpu: "300m" })]);
  m.pods.push(b);
  await m.qos.update();
  assert.is(m.fake.values.get("/kts/kubepods/burstable")?.cpuShares, 307);
  const writes = m.fake.writes.length;
  await m.qos.update();
  assert.is(m.fake.writes.length, writes, "nothing changed, nothing written");
  m.pods.splice(0);
  await m.qos.update();
  assert.is(m.fake.values.get("/kts/kubepods/burstable")?.cpuShares, 2);
  m.qos.stop();
});

test("concurrent updates coalesce and the last one sees the latest pods", async () => {
  const m = manager();
  await m.qos.start();
  m.pods.push(pod([ctr("a", { cpu: "100m" })]));
  const first = m.qos.update();
  m.pods.push(pod([ctr("a", { cpu: "900m" })]));
  await Promise.all([first, m.qos.update(), m.qos.update()]);
  assert.is(m.fake.values.get("/kts/kubepods/burstable")?.cpuShares, 1024);
  m.qos.stop();
});

test("a refused /kubepods memory limit is logged and evented, not thrown, and retried every minute", async () => {
  let refuse = true;
  const m = manager({ refuse: (path, file) => (refuse && path === "/kts/kubepods" && file === "memory.limit_in_bytes" ? "EBUSY: device or resource busy" : undefined) });
  await m.qos.start();
  const warn = m.lines.find((l) => l.level === "warn" && l.msg.includes("node allocatable"));
  assert.ok(warn, "warned");
  assert.match(String(warn!.fields?.err), /memory\.limit_in_bytes=7516192768: EBUSY/);
  assert.ok(m.events.list().some((e) => e.reason === "FailedNodeAllocatableEnforcement" && e.type === "Warning"));
  assert.is(m.fake.values.get("/kts/kubepods")?.cpuShares, 4096, "the other values still apply");
  assert.ok(m.fake.dirs.has("/kts/kubepods/burstable"), "the tiers are created anyway");
  refuse = false;
  await m.advance(60_000);
  assert.is(m.fake.values.get("/kts/kubepods")?.memoryLimitBytes, 7 * GiB, "the periodic loop retried");
  const writes = m.fake.writes.filter((w) => w.path === "/kts/kubepods").length;
  await m.advance(60_000);
  assert.is(m.fake.writes.filter((w) => w.path === "/kts/kubepods").length, writes, "once enforced, not rewritten");
  m.qos.stop();
});

test("a failing or throwing Cgroups port never makes start or update throw", async () => {
  const fake = fakeCgroups();
  fake.cgroups.ensure = async () => { throw new Error("EACCES: permission denied"); };
  fake.cgroups.set = async () => { throw new Error("EROFS: read-only file system"); };
  const { log, lines } = recordingLog();
  const { clock } = fakeClock();
  const qos = new QosContainerManager({ cgroups: fake.cgroups, clock, log, nodeName: "n1", cgroupRoot: "/", nodeAllocatable: { cpuShares: 2048 }, accounting, activePods: () => [pod([ctr("a", { cpu: "1" })])] });
  await qos.start();
  await qos.update();
  assert.ok(lines.some((l) => l.level === "error" && l.msg.includes("QoS cgroups")));
  assert.ok(lines.some((l) => l.level === "warn" && String(l.fields?.err).includes("EROFS")));
  qos.stop();
});

test("the periodic loop rewrites the tiers (someone may have changed them)", async () => {
  const m = manager();
  await m.qos.start();
  m.fake.values.set("/kts/kubepods/burstable", { cpuShares: 999 });
  await m.advance(60_000);
  await settle();
  assert.is(m.fake.values.get("/kts/kubepods/burstable")?.cpuShares, 2);
  m.qos.stop();
});

test("node Cgroups.set writes an existing cgroup's values and reports the files it could not write", async () => {
  const root = mkdtempSync(join(tmpdir(), "kts-qos-"));
  for (const c of ["cpu", "memory", "pids"]) mkdirSync(join(root, c));
  const cg = nodeCgroups(root);
  await cg.ensure("/kubepods/burstable");
  assert.equal(await cg.set("/kubepods/burstable", { cpuShares: 307, pidsLimit: 100 }), []);
  assert.is(readFileSync(join(root, "cpu/kubepods/burstable/cpu.shares"), "utf8"), "307");
  assert.is(readFileSync(join(root, "pids/kubepods/burstable/pids.max"), "utf8"), "100");
  rmSync(join(root, "memory/kubepods"), { recursive: true });
  const failures = await cg.set("/kubepods/burstable", { cpuShares: 2, memoryLimitBytes: 4096 });
  assert.is(failures.length, 1);
  assert.is(failures[0]!.file, "memory.limit_in_bytes");
  assert.match(failures[0]!.message, /ENOENT/);
  assert.not.ok(existsSync(join(root, "memory/kubepods")), "set never creates a cgroup");
  rmSync(root, { recursive: true });
});

test.run();
