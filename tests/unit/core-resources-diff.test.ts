// Differential property tests: core.wasm's resource accounting against the pure-TS twin.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import {
  WasmResourceAccounting, type Bytes, type ContainerResources, type EvictionCandidate, type MilliCPU, type PodResources, type ResourceList,
} from "../../bindings/core/resources.ts";
import { TwinResourceAccounting } from "../../bindings/core/twin/resources.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const wasm = new WasmResourceAccounting(core);
const twin = new TwinResourceAccounting();
const show = (v: unknown) => JSON.stringify(v);

// Amounts stay below 2^40 so that sums and 1000*request stay exact in JS numbers.
const amount = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 2 ** 40 }));
const maybe = fc.option(amount, { nil: undefined, freq: 3 });
const list: fc.Arbitrary<ResourceList | undefined> = fc.option(
  fc.record({ cpu: maybe, memory: maybe, ephemeralStorage: maybe, extended: fc.option(fc.array(maybe, { maxLength: 3 }), { nil: undefined }) })
    .map((l) => {
      const out: ResourceList = {};
      if (l.cpu !== undefined) out.cpu = l.cpu as MilliCPU;
      if (l.memory !== undefined) out.memory = l.memory as Bytes;
      if (l.ephemeralStorage !== undefined) out.ephemeralStorage = l.ephemeralStorage as Bytes;
      if (l.extended !== undefined) out.extended = l.extended;
      return out;
    }),
  { nil: undefined, freq: 4 },
);
/** Limits that often equal the requests, so Guaranteed pods are common. */
const container: fc.Arbitrary<ContainerResources> = fc.tuple(fc.constantFrom("app", "app", "init", "sidecar") as fc.Arbitrary<ContainerResources["kind"]>, list, list, fc.boolean())
  .map(([kind, requests, limits, same]) => ({ kind, requests, limits: same ? requests : limits }));
const pod: fc.Arbitrary<PodResources> = fc.record({
  containers: fc.array(container, { minLength: 1, maxLength: 6 }),
  overhead: list,
  nodeCritical: fc.boolean(),
});
const nodeOptions = fc.record({
  memoryCapacity: fc.integer({ min: 1, max: 2 ** 40 }).map((n) => n as Bytes),
  cpuPeriodUs: fc.constantFrom(100000, 50000, 1000),
  enforceCpuLimits: fc.boolean(),
});

let cases = 0;
test("wasm and twin agree on requests, limits, QoS, cgroup values and oom_score_adj", () => {
  fc.assert(fc.property(fc.array(pod, { minLength: 5, maxLength: 60 }), nodeOptions, (pods, options) => {
    cases += pods.length;
    const a = wasm.accountPods(pods, options), b = twin.accountPods(pods, options);
    for (let i = 0; i < pods.length; i++) {
      if (show(a[i]) !== show(b[i])) assert.unreachable(`${show(pods[i])}\nwasm ${show(a[i])}\ntwin ${show(b[i])}`);
    }
  }), { numRuns: 1500, seed: 42 });
  assert.ok(cases >= 10_000, `only ${cases} pods`);
});

test("wasm and twin agree on admission masks, sequential or not", () => {
  let n = 0;
  fc.assert(fc.property(fc.array(list, { minLength: 5, maxLength: 50 }), list, list, fc.integer({ min: 0, max: 120 }), fc.boolean(), (reqs, alloc, used, pods, sequential) => {
    const lists = reqs.map((r) => r ?? {});
    const nodeUse = { allocatable: { ...(alloc ?? {}), pods }, requested: { ...(used ?? {}), pods: Math.floor(pods / 2) } };
    n += lists.length;
    assert.equal(wasm.admit(lists, nodeUse, { sequential }), twin.admit(lists, nodeUse, { sequential }));
  }), { numRuns: 1500, seed: 7 });
  assert.ok(n >= 10_000, `only ${n} admissions`);
});

test("wasm and twin agree on node allocatable", () => {
  const threshold = fc.option(fc.oneof(amount, fc.double({ min: 0, max: 1, noNaN: true }).map((fraction) => ({ fraction }))), { nil: undefined });
  fc.assert(fc.property(list, list, list, threshold, threshold, (capacity, kubeReserved, systemReserved, memory, ephemeralStorage) => {
    const spec = { capacity: capacity ?? {}, kubeReserved, systemReserved, evictionHard: { memory, ephemeralStorage } };
    assert.equal(wasm.nodeAllocatable(spec), twin.nodeAllocatable(spec), show(spec));
  }), { numRuns: 10_000, seed: 3 });
});

test("wasm and twin agree on eviction order", () => {
  const candidate: fc.Arbitrary<EvictionCandidate> = fc.record({
    usage: fc.option(fc.integer({ min: 0, max: 1000 }).map((n) => n as Bytes), { nil: undefined }),
    request: fc.integer({ min: 0, max: 1000 }).map((n) => n as Bytes),
    priority: fc.integer({ min: -5, max: 5 }),
  });
  let n = 0;
  fc.assert(fc.property(fc.array(candidate, { minLength: 5, maxLength: 60 }), (pods) => {
    n += pods.length;
    assert.equal(wasm.rankForEviction(pods), twin.rankForEviction(pods));
  }), { numRuns: 1500, seed: 11 });
  assert.ok(n >= 10_000, `only ${n} pods ranked`);
});

test.run();
