/**
 * The eviction manager's rules with fake observations and a fake pod killer: thresholds and their
 * validation, pressure conditions and the transition period, grace periods, minimum reclaim, fresh
 * stats only, ranking through the core's rankForEviction, one pod per pass, critical pods spared,
 * upstream's messages, and admission under pressure.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { TwinResourceAccounting } from "../../bindings/core/twin/resources.ts";
import { EVICTION_MONITORING_INTERVAL_MS, EvictionManager, localStorageViolation, type NodeObservation, type PodUsage } from "../../kubelet/eviction/evictionManager.ts";
import { parseThresholds, type Threshold } from "../../kubelet/eviction/thresholds.ts";
import { createLogger } from "../../kubelet/log.ts";
import { fakeClock } from "./support/fakeTime.ts";

const MI = 1024 * 1024;
const parseQ = (t: string) => (/^\d+Mi$/.test(t) ? Number(t.slice(0, -2)) * MI : /^\d+$/.test(t) ? Number(t) : undefined);

function pod(name: string, opts: { memRequest?: string; priority?: number; critical?: boolean } = {}): Pod {
  return {
    apiVersion: "v1", kind: "Pod",
    metadata: { name, namespace: "ns", uid: `uid-${name}`, ...(opts.critical ? { annotations: { critical: "1" } } : {}) },
    spec: { priority: opts.priority, containers: [{ name: "c", image: "busybox", ...(opts.memRequest ? { resources: { requests: { memory: opts.memRequest } } } : {}) }] },
  } as Pod;
}

/** A manager over fake observations (set `obs` between passes) and a fake pod killer that records evictions. */
function setup(thresholds: Threshold[], pods: Pod[], transitionMs = 5 * 60_000, extra: Partial<ConstructorParameters<typeof EvictionManager>[0]> = {}) {
  const { clock, advance } = fakeClock();
  const state = { podReads: 0, obs: { signals: {}, pods: new Map() } as NodeObservation, evicted: [] as { name: string; grace: number; message: string }[], events: [] as string[], refuse: new Set<string>() };
  const request = (p: Pod) => (p.spec.containers[0]!.resources?.requests?.memory ? parseQ(String(p.spec.containers[0]!.resources!.requests!.memory))! : 0);
  const twin = new TwinResourceAccounting();
  const m = new EvictionManager({
    thresholds, pressureTransitionPeriodMs: transitionMs, maxPodGracePeriodSeconds: 30, clock, log: createLogger(0, () => undefined),
    observe: async (_fresh, withPods) => {
      if (withPods) state.podReads++;
      return state.obs;
    },
    activePods: () => pods.filter((p) => !state.evicted.some((e) => e.name === p.metadata.name)),
    podRequest: (p) => request(p),
    containerRequest: (p) => request(p),
    rank: (c) => twin.rankForEviction(c),
    isCritical: (p) => p.metadata.annotations?.critical === "1",
    evictPod: async (p, grace, message) => {
      if (state.refuse.has(p.metadata.name!)) return false;
      state.evicted.push({ name: p.metadata.name!, grace, message });
      return true;
    },
    nodeEvent: (reason, message) => state.events.push(`${reason}: ${message}`),
    ...extra,
  });
  const observe = (memAvailableMi: number, usage: Record<string, number> = {}, time = clock.now()) => {
    const podsUsage = new Map<string, PodUsage>();
    for (const [name, mi] of Object.entries(usage)) podsUsage.set(`uid-${name}`, { memory: mi * MI, containers: [{ name: "c", memory: mi * MI }] });
    state.obs = { signals: { "memory.available": { available: memAvailableMi * MI, capacity: 1000 * MI, time } }, pods: podsUsage };
  };
  return { m, state, clock, advance, observe };
}

const hard = (v = "100Mi") => parseThresholds({ evictionHard: { "memory.available": v } }, parseQ);

test("thresholds: quantities and percentages; zero disables; unsupported signals and bad values are refused with upstream's words", () => {
  assert.equal(parseThresholds({ evictionHard: { "memory.available": "100Mi", "nodefs.available": "10%", "imagefs.available": "0%" } }, parseQ), [
    { signal: "memory.available", value: { quantity: 100 * MI }, gracePeriodMs: 0 },
    { signal: "nodefs.available", value: { percentage: 0.1 }, gracePeriodMs: 0 },
  ]);
  assert.throws(() => parseThresholds({ evictionHard: { "memory.free": "1Mi" } }, parseQ), /unsupported eviction signal memory.free/);
  assert.throws(() => parseThresholds({ evictionHard: { "memory.available": "lots" } }, parseQ), /invalid quantity "lots" for eviction signal memory.available/);
  assert.throws(() => parseThresholds({ evictionHard: { "nodefs.available": "120%" } }, parseQ), /must be >= 0% and <= 100%/);
  assert.throws(() => parseThresholds({ evictionHard: {}, evictionSoft: { "memory.available": "1Mi" } }, parseQ), /grace period must be specified for the soft eviction threshold memory.available/);
  assert.equal(parseThresholds({ evictionHard: {}, evictionSoft: { "memory.available": "1Mi" }, evictionSoftGracePeriodMs: { "memory.available": 30_000 }, evictionMinimumReclaim: { "memory.available": "5Mi" } }, parseQ),
    [{ signal: "memory.available", value: { quantity: MI }, gracePeriodMs: 30_000, minReclaim: { quantity: 5 * MI } }]);
});

test("no threshold met: no pressure, nothing evicted, every pod admitted; per-pod stats are not read", async () => {
  const s = setup(hard(), [pod("a")]);
  s.observe(500, { a: 10 });
  assert.is(await s.m.synchronize(), undefined);
  assert.is(s.state.podReads, 0, "node signals only");
  assert.equal(s.m.pressure(), { memory: false, disk: false, pid: false });
  assert.equal(s.m.admit(pod("b"), "BestEffort"), { admit: true });
});

test("a hard memory threshold met: MemoryPressure, an EvictionThresholdMet node event, and the pod most above its request is evicted with grace 0 (1.20)", async () => {
  const s = setup(hard(), [pod("small", { memRequest: "50Mi" }), pod("hog", { memRequest: "10Mi" }), pod("within", { memRequest: "500Mi" })]);
  s.observe(50, { small: 60, hog: 300, within: 400 });
  const evicted = await s.m.synchronize();
  assert.is(evicted?.metadata.name, "hog");
  assert.equal(s.m.pressure(), { memory: true, disk: false, pid: false });
  assert.equal(s.state.events, ["EvictionThresholdMet: Attempting to reclaim memory"]);
  assert.equal(s.state.evicted, [{ name: "hog", grace: 0, message: "The node was low on resource: memory. Container c was using 300Mi, which exceeds its request of 10Mi. " }]);
});

test("one pod per pass; a pass needs fresh stats", async () => {
  const s = setup(hard(), [pod("a"), pod("b")]);
  s.observe(10, { a: 100, b: 200 });
  await s.m.synchronize();
  assert.equal(s.state.evicted.map((e) => e.name), ["b"]);
  await s.m.synchronize();
  assert.is(s.state.evicted.length, 1, "same observation time: no second eviction");
  s.observe(10, { a: 100 }, s.clock.now() + 1);
  await s.m.synchronize();
  assert.equal(s.state.evicted.map((e) => e.name), ["b", "a"]);
});

test("pods without stats go first; then priority orders pods that exceed their requests alike", async () => {
  const s = setup(hard(), [pod("hi", { priority: 1000 }), pod("lo", { priority: 0 }), pod("nostats", { priority: 5000 })]);
  s.observe(10, { hi: 500, lo: 100 });
  await s.m.synchronize();
  assert.is(s.state.evicted[0]!.name, "nostats");
  s.observe(10, { hi: 500, lo: 100 }, s.clock.now() + 1);
  await s.m.synchronize();
  assert.is(s.state.evicted[1]!.name, "lo", "lower priority first, though it uses less");
});

test("critical pods are never evicted; the next pod in rank is", async () => {
  const s = setup(hard(), [pod("critical", { critical: true }), pod("other")]);
  s.observe(10, { critical: 900, other: 10 });
  await s.m.synchronize();
  assert.equal(s.state.evicted.map((e) => e.name), ["other"]);
});

test("the pressure condition stays for the transition period after the last threshold met, then clears", async () => {
  const s = setup(hard(), [], 60_000);
  s.observe(10);
  await s.m.synchronize();
  assert.ok(s.m.pressure().memory);
  await s.advance(30_000);
  s.observe(900);
  await s.m.synchronize();
  assert.ok(s.m.pressure().memory, "within the transition period");
  await s.advance(31_000);
  s.observe(900);
  await s.m.synchronize();
  assert.not.ok(s.m.pressure().memory);
});

test("a soft threshold evicts only after its grace period, with evictionMaxPodGracePeriod", async () => {
  const t = parseThresholds({ evictionHard: {}, evictionSoft: { "memory.available": "100Mi" }, evictionSoftGracePeriodMs: { "memory.available": 30_000 } }, parseQ);
  const s = setup(t, [pod("a")]);
  s.observe(10, { a: 100 });
  await s.m.synchronize();
  assert.ok(s.m.pressure().memory, "pressure at once");
  assert.is(s.state.evicted.length, 0, "no eviction before the grace period");
  await s.advance(30_000);
  s.observe(10, { a: 100 });
  await s.m.synchronize();
  assert.equal(s.state.evicted.map((e) => [e.name, e.grace]), [["a", 30]]);
});

test("minimum reclaim: once met, a threshold stays met until available clears threshold + minReclaim", async () => {
  const t = parseThresholds({ evictionHard: { "memory.available": "100Mi" }, evictionMinimumReclaim: { "memory.available": "50Mi" } }, parseQ);
  const s = setup(t, [pod("a"), pod("b"), pod("c")]);
  s.observe(90, { a: 1, b: 2, c: 3 });
  await s.m.synchronize();
  s.observe(120, { a: 1, b: 2 }, s.clock.now() + 1);
  await s.m.synchronize();
  assert.is(s.state.evicted.length, 2, "120Mi < 100Mi + 50Mi: still reclaiming");
  s.observe(160, { a: 1 }, s.clock.now() + 2);
  await s.m.synchronize();
  assert.is(s.state.evicted.length, 2, "cleared");
});

test("admission under MemoryPressure alone refuses BestEffort pods (unless they tolerate it), admits the others; critical pods always", async () => {
  const s = setup(hard(), []);
  s.observe(10);
  await s.m.synchronize();
  assert.equal(s.m.admit(pod("be"), "BestEffort"), { admit: false, reason: "Evicted", message: "The node had condition: [MemoryPressure]. " });
  assert.equal(s.m.admit(pod("bu"), "Burstable"), { admit: true });
  assert.equal(s.m.admit(pod("crit", { critical: true }), "BestEffort"), { admit: true });
  const tolerant = pod("tol");
  tolerant.spec.tolerations = [{ key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" }];
  assert.equal(s.m.admit(tolerant, "BestEffort"), { admit: true });
});

test("disk pressure: node-level reclaim first; no pod is evicted when it frees enough", async () => {
  const t = parseThresholds({ evictionHard: { "imagefs.available": "15%" } }, parseQ);
  let reclaimed = 0;
  const s = setup(t, [pod("a")], undefined, {
    reclaimDisk: async () => {
      reclaimed++;
      s.state.obs = { signals: { "imagefs.available": { available: 50, capacity: 100, time: 2 } }, pods: new Map() };
    },
  });
  s.state.obs = { signals: { "imagefs.available": { available: 5, capacity: 100, time: 1 } }, pods: new Map() };
  assert.is(await s.m.synchronize(), undefined);
  assert.is(reclaimed, 1);
  assert.equal(s.state.evicted, []);
  assert.equal(s.state.events, ["EvictionThresholdMet: Attempting to reclaim ephemeral-storage"]);
});

test("disk pressure: when reclaim is not enough, a pod is evicted", async () => {
  const t = parseThresholds({ evictionHard: { "nodefs.available": "10%" } }, parseQ);
  const s = setup(t, [pod("a")], undefined, { reclaimDisk: async () => undefined });
  s.state.obs = { signals: { "nodefs.available": { available: 5, capacity: 100, time: 1 } }, pods: new Map() };
  assert.is((await s.m.synchronize())?.metadata.name, "a");
});

test("admission under DiskPressure refuses every pod that is not critical", async () => {
  const t = parseThresholds({ evictionHard: { "nodefs.available": "10%" } }, parseQ);
  const s = setup(t, []);
  s.state.obs = { signals: { "nodefs.available": { available: 5, capacity: 100, time: 1 } }, pods: new Map() };
  await s.m.synchronize();
  assert.equal(s.m.pressure(), { memory: false, disk: true, pid: false });
  assert.equal(s.m.admit(pod("g"), "Guaranteed"), { admit: false, reason: "Evicted", message: "The node had condition: [DiskPressure]. " });
});

test("a pod that cannot be evicted is skipped for the next one; none active: nothing happens", async () => {
  const s = setup(hard(), [pod("a"), pod("b")]);
  s.state.refuse.add("b");
  s.observe(10, { a: 1, b: 900 });
  assert.is((await s.m.synchronize())?.metadata.name, "a");
  const empty = setup(hard(), []);
  empty.observe(10);
  assert.is(await empty.m.synchronize(), undefined);
});

test("start() synchronizes at once and then every 10 s; stop() ends it", async () => {
  const s = setup(hard(), [pod("a"), pod("b"), pod("c")]);
  let t = 0;
  s.observe(10, { a: 1, b: 2, c: 3 }, ++t);
  s.m.start();
  await s.advance(0);
  assert.is(s.state.evicted.length, 1);
  s.observe(10, { a: 1, b: 2 }, ++t);
  await s.advance(EVICTION_MONITORING_INTERVAL_MS);
  assert.is(s.state.evicted.length, 2);
  await s.m.stop();
  s.observe(10, { a: 1 }, ++t);
  await s.advance(EVICTION_MONITORING_INTERVAL_MS * 3);
  assert.is(s.state.evicted.length, 2);
});

const bytesOf = (t: string) => parseQ(t);

test("local storage: an emptyDir past its sizeLimit", () => {
  const p = pod("ed");
  p.spec.volumes = [{ name: "scratch", emptyDir: { sizeLimit: "1Mi" } }, { name: "free", emptyDir: {} }];
  assert.is(localStorageViolation(p, { containers: [], volumes: [{ name: "scratch", usedBytes: 2 * MI }, { name: "free", usedBytes: 100 * MI }] }, bytesOf),
    'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  assert.is(localStorageViolation(p, { containers: [], volumes: [{ name: "scratch", usedBytes: MI }] }, bytesOf), undefined, "at the limit is fine");
});

test("local storage: the pod's use past its containers' summed ephemeral-storage limits", () => {
  const p = pod("pl");
  p.spec.containers = [
    { name: "a", image: "x", resources: { limits: { "ephemeral-storage": "1Mi" } } },
    { name: "b", image: "x", resources: { limits: { "ephemeral-storage": "2Mi" } } },
  ];
  assert.is(localStorageViolation(p, { ephemeralStorage: 4 * MI, containers: [{ name: "a", ephemeralStorage: MI / 2 }, { name: "b", ephemeralStorage: MI }] }, bytesOf),
    "Pod ephemeral local storage usage exceeds the total limit of containers 3Mi. ");
});

test("local storage: one container past its own limit", () => {
  const p = pod("cl");
  p.spec.containers = [{ name: "a", image: "x", resources: { limits: { "ephemeral-storage": "1Mi" } } }, { name: "b", image: "x" }];
  assert.is(localStorageViolation(p, { ephemeralStorage: 2 * MI, containers: [{ name: "a", ephemeralStorage: 2 * MI }, { name: "b", ephemeralStorage: 0 }] }, bytesOf),
    "Pod ephemeral local storage usage exceeds the total limit of containers 1Mi. ", "the pod check comes first");
  assert.is(localStorageViolation(p, { ephemeralStorage: MI / 2, containers: [{ name: "a", ephemeralStorage: 2 * MI }, { name: "b", ephemeralStorage: 0 }] }, bytesOf),
    'Container a exceeded its local ephemeral storage limit "1Mi". ');
  assert.is(localStorageViolation(pod("none"), { ephemeralStorage: 100 * MI, containers: [{ name: "c", ephemeralStorage: 100 * MI }] }, bytesOf), undefined, "no limits, no eviction");
});

test("local storage eviction runs without thresholds, every violator at once with grace 0, critical pods spared", async () => {
  const over = pod("over");
  over.spec.volumes = [{ name: "scratch", emptyDir: { sizeLimit: "1Mi" } }];
  const critical = pod("crit", { critical: true });
  critical.spec.volumes = over.spec.volumes;
  const fine = pod("fine");
  const big: PodUsage = { containers: [], volumes: [{ name: "scratch", usedBytes: 5 * MI }] };
  const usage = new Map<string, PodUsage>([["uid-over", big], ["uid-crit", big], ["uid-fine", { containers: [] }]]);
  const off = setup([], [over, critical, fine]);
  off.state.obs = { signals: {}, pods: usage };
  assert.is(await off.m.synchronize(), undefined, "off unless enabled");
  assert.is(off.state.evicted.length, 0);
  const s = setup([], [over, critical, fine], undefined, { localStorageCapacityIsolation: true, quantityBytes: bytesOf });
  s.state.obs = { signals: {}, pods: usage };
  assert.is((await s.m.synchronize())?.metadata.name, "over");
  assert.equal(s.state.evicted, [{ name: "over", grace: 0, message: 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ' }]);
});

test.run();
