// Resource accounting rules (component-helpers PodRequests/PodLimits, qos.GetPodQOS,
// cm.ResourceConfigForPod, qos.GetContainerOOMScoreAdjust, node allocatable, noderesources.Fits,
// eviction ranking), each checked on core.wasm and on the pure-TS twin.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import {
  bytes, cgroupV1Files, cgroupV2Files, insufficientResources, milliCPU, WasmResourceAccounting,
  type ContainerResources, type PodResources, type ResourceAccounting, type ResourceList,
} from "../../bindings/core/resources.ts";
import { TwinResourceAccounting } from "../../bindings/core/twin/resources.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const impls: [string, ResourceAccounting][] = [["wasm", new WasmResourceAccounting(core)], ["twin", new TwinResourceAccounting()]];
const GiB = 1024 ** 3, MiB = 1024 ** 2;
const node = { memoryCapacity: bytes(16 * GiB) };

function rule(name: string, check: (a: ResourceAccounting) => void): void {
  for (const [impl, a] of impls) test(`${name} [${impl}]`, () => check(a));
}
const res = (cpu?: number, memory?: number, extra: ResourceList = {}): ResourceList => ({
  ...(cpu === undefined ? {} : { cpu: milliCPU(cpu) }), ...(memory === undefined ? {} : { memory: bytes(memory) }), ...extra,
});
const ctr = (kind: ContainerResources["kind"], requests?: ResourceList, limits?: ResourceList): ContainerResources => ({ kind, requests, limits });
const one = (a: ResourceAccounting, pod: PodResources) => a.accountPods([pod], node)[0]!;

rule("pod requests sum app containers", (a) => {
  const r = one(a, { containers: [ctr("app", res(100, MiB)), ctr("app", res(250, 2 * MiB))] }).requests;
  assert.is(r.cpu, 350);
  assert.is(r.memory, 3 * MiB);
  assert.is(r.ephemeralStorage, 0);
});

rule("init containers run one at a time: the largest init request wins when above the app sum", (a) => {
  const r = one(a, { containers: [ctr("init", res(900)), ctr("init", res(500)), ctr("app", res(200)), ctr("app", res(300))] }).requests;
  assert.is(r.cpu, 900);
  const s = one(a, { containers: [ctr("init", res(400)), ctr("app", res(200)), ctr("app", res(300))] }).requests;
  assert.is(s.cpu, 500);
});

rule("sidecar requests add to later init containers", (a) => {
  const r = one(a, { containers: [ctr("sidecar", res(300)), ctr("init", res(800)), ctr("app", res(100))] }).requests;
  assert.is(r.cpu, 1100); // init 800 runs beside sidecar 300
  const before = one(a, { containers: [ctr("init", res(800)), ctr("sidecar", res(300)), ctr("app", res(100))] }).requests;
  assert.is(before.cpu, 800); // the init container ran before the sidecar started
});

rule("sidecars count with app containers for the steady state", (a) => {
  const r = one(a, { containers: [ctr("sidecar", res(300)), ctr("app", res(500))] }).requests;
  assert.is(r.cpu, 800);
});

rule("pod overhead adds to requests and to non-zero limits only", (a) => {
  const p = one(a, { overhead: res(50, 10 * MiB), containers: [ctr("app", res(100, MiB), res(200))] });
  assert.is(p.requests.cpu, 150);
  assert.is(p.requests.memory, 11 * MiB);
  assert.is(p.limits.cpu, 250);
  assert.is(p.limits.memory, undefined);
});

rule("a limit without a request is the request (API defaulting)", (a) => {
  const p = one(a, { containers: [ctr("app", undefined, res(500, GiB))] });
  assert.is(p.requests.cpu, 500);
  assert.is(p.requests.memory, GiB);
});

rule("extended resources aggregate like cpu", (a) => {
  const gpu = (n: number): ResourceList => ({ extended: [undefined, n] });
  const p = one(a, { containers: [ctr("init", gpu(2)), ctr("app", gpu(1), gpu(1))] });
  assert.equal(p.requests.extended, [0, 2]);
  assert.equal(p.limits.extended, [undefined, 1]);
});

rule("BestEffort when no container sets cpu or memory", (a) => {
  assert.is(one(a, { containers: [ctr("app"), ctr("init", { ephemeralStorage: bytes(GiB) })] }).qos, "BestEffort");
});

rule("Guaranteed requires requests equal limits for every container", (a) => {
  const g = res(500, GiB);
  assert.is(one(a, { containers: [ctr("app", g, g), ctr("init", g, g)] }).qos, "Guaranteed");
  assert.is(one(a, { containers: [ctr("app", undefined, g)] }).qos, "Guaranteed");
  assert.is(one(a, { containers: [ctr("app", res(400, GiB), g)] }).qos, "Burstable");
  assert.is(one(a, { containers: [ctr("app", g, g), ctr("app", res(100))] }).qos, "Burstable");
  assert.is(one(a, { containers: [ctr("app", g, res(500))] }).qos, "Burstable");
});

rule("Burstable cgroup gets shares, and quota and memory only when every container limits them", (a) => {
  const p = one(a, { containers: [ctr("app", res(250, GiB), res(500, 2 * GiB)), ctr("app", res(250))] });
  assert.is(p.qos, "Burstable");
  assert.equal(p.cgroup, { cpuShares: 512, cpuWeight: 20 });
  const q = one(a, { containers: [ctr("app", res(250, GiB), res(500, 2 * GiB))] });
  assert.equal(q.cgroup, { cpuShares: 256, cpuQuota: 50000, cpuPeriod: 100000, memoryLimit: 2 * GiB, cpuWeight: 10 });
});

rule("cpu shares are milli*1024/1000 clamped to [2, 262144]; quota is at least 1 ms", (a) => {
  const tiny = one(a, { containers: [ctr("app", res(1, MiB), res(1, MiB))] }).cgroup;
  assert.is(tiny.cpuShares, 2);
  assert.is(tiny.cpuQuota, 1000);
  const huge = one(a, { containers: [ctr("app", res(300_000, MiB), res(300_000, MiB))] }).cgroup;
  assert.is(huge.cpuShares, 262144);
  assert.is(huge.cpuWeight, 10000);
  assert.is(huge.cpuQuota, 30_000_000);
});

rule("cgroup files: v2 cpu.max is quota and period, memory.max is max when unlimited", (a) => {
  const g = one(a, { containers: [ctr("app", res(500, GiB), res(500, GiB))] }).cgroup;
  assert.equal(cgroupV2Files(g), { "cpu.weight": "20", "cpu.max": "50000 100000", "memory.max": `${GiB}` });
  assert.equal(cgroupV1Files(g), { "cpu.shares": "512", "cpu.cfs_quota_us": "50000", "cpu.cfs_period_us": "100000", "memory.limit_in_bytes": `${GiB}` });
  const b = one(a, { containers: [ctr("app", res(100))] }).cgroup;
  assert.equal(cgroupV2Files(b), { "cpu.weight": "4", "memory.max": "max" });
});

rule("BestEffort cgroup has only cpu.shares 2", (a) => {
  assert.equal(one(a, { containers: [ctr("app")] }).cgroup, { cpuShares: 2, cpuWeight: 1 });
});

rule("disabled CFS quota leaves the quota unset", (a) => {
  const g = res(500, GiB);
  const p = a.accountPods([{ containers: [ctr("app", g, g)] }], { ...node, enforceCpuLimits: false })[0]!;
  assert.is(p.cgroup.cpuQuota, undefined);
  assert.is(p.cgroup.cpuPeriod, 100000);
});

rule("oom_score_adj: Guaranteed -997, BestEffort 1000, Burstable scaled by memory request", (a) => {
  const g = res(500, GiB);
  assert.equal(one(a, { containers: [ctr("app", g, g)] }).oomScoreAdj, [-997]);
  assert.equal(one(a, { containers: [ctr("app")] }).oomScoreAdj, [1000]);
  assert.equal(one(a, { containers: [ctr("app", res(100, 4 * GiB)), ctr("app", res(100))] }).oomScoreAdj, [750, 999]);
  assert.equal(one(a, { containers: [ctr("app", res(100, 16 * GiB))] }).oomScoreAdj, [3]);
});

rule("node-critical pods get -997 whatever their QoS", (a) => {
  assert.equal(one(a, { nodeCritical: true, containers: [ctr("app")] }).oomScoreAdj, [-997]);
});

rule("a sidecar's oom_score_adj never exceeds the smallest regular container's", (a) => {
  const p = one(a, { containers: [ctr("sidecar", res(10, MiB)), ctr("app", res(10, 8 * GiB)), ctr("app", res(10, 4 * GiB))] });
  assert.equal(p.oomScoreAdj, [750, 500, 750]);
});

rule("allocatable is capacity minus reservations and the hard eviction threshold", (a) => {
  const alloc = a.nodeAllocatable({
    capacity: { cpu: milliCPU(4000), memory: bytes(16 * GiB), ephemeralStorage: bytes(100 * GiB), pods: 110 },
    kubeReserved: { cpu: milliCPU(100), memory: bytes(GiB) },
    systemReserved: { cpu: milliCPU(100), memory: bytes(GiB) },
    evictionHard: { memory: 100 * MiB, ephemeralStorage: { fraction: 0.1 } },
  });
  assert.is(alloc.cpu, 3800);
  assert.is(alloc.memory, 14 * GiB - 100 * MiB);
  assert.is(alloc.ephemeralStorage, 100 * GiB - Math.trunc(100 * GiB * Math.fround(0.1)));
  assert.is(alloc.pods, 110);
});

rule("allocatable never goes below zero", (a) => {
  assert.is(a.nodeAllocatable({ capacity: { memory: bytes(GiB) }, kubeReserved: { memory: bytes(2 * GiB) } }).memory, 0);
});

rule("admission reports every insufficient resource in a bitmask", (a) => {
  const nodeUse = { allocatable: { cpu: milliCPU(1000), memory: bytes(GiB), ephemeralStorage: bytes(GiB), pods: 2, extended: [1] }, requested: { cpu: milliCPU(600), pods: 1 } };
  const [fits, tooBig, gpu] = a.admit([res(400, MiB), res(500, 2 * GiB), { extended: [2] }], nodeUse);
  assert.is(fits, 0);
  assert.equal(insufficientResources(tooBig!), ["cpu", "memory"]);
  assert.equal(insufficientResources(gpu!), ["extended/0"]);
});

rule("admission counts pods against the pods capacity", (a) => {
  const masks = a.admit([{}, {}], { allocatable: { pods: 1 }, requested: { pods: 1 } });
  assert.equal(masks.map(insufficientResources), [["pods"], ["pods"]]);
});

rule("sequential admission charges each admitted pod before the next", (a) => {
  const nodeUse = { allocatable: { cpu: milliCPU(1000), pods: 10 }, requested: {} };
  assert.equal(a.admit([res(600), res(600), res(400)], nodeUse, { sequential: true }), [0, 1, 0]);
  assert.equal(a.admit([res(600), res(600)], nodeUse), [0, 0]);
});

rule("eviction ranks pods over their requests first, then by priority, then by usage above request", (a) => {
  const order = a.rankForEviction([
    { usage: bytes(100), request: bytes(200), priority: 0 }, // under request
    { usage: bytes(300), request: bytes(200), priority: 10 }, // over, high priority
    { usage: bytes(500), request: bytes(200), priority: 0 }, // over by 300
    { usage: bytes(250), request: bytes(200), priority: 0 }, // over by 50
    { request: bytes(0), priority: 100 }, // no stats: first
  ]);
  assert.equal(order, [4, 2, 3, 1, 0]);
});

test("amounts above 2^53 are rejected with a RangeError [wasm]", () => {
  assert.throws(() => impls[0]![1].accountPods([{ containers: [ctr("app", res(2 ** 53))] }], node), RangeError);
});

test("more pods than one core call holds are accounted in chunks [wasm]", () => {
  const pods = Array.from({ length: 3000 }, (_, i) => ({ containers: [ctr("app", res(i, MiB)), ctr("init", res(2 * i))] }));
  const out = impls[0]![1].accountPods(pods, node);
  assert.is(out.length, 3000);
  assert.is(out[2999]!.requests.cpu, 2 * 2999);
});

test.run();
