// Differential property test: random sequences of probe operations (add, remove, restart, due,
// report, including invalid and stale calls) give identical outputs on core.wasm and the twin.
import { readFileSync } from "node:fs";
import { fnv1a32 } from "../../kubelet/kuberuntime/containerHash.ts";
import fc from "fast-check";
import { test } from "uvu";
import { instantiateCore } from "../../bindings/core/load.ts";
import { ProbeSchedulerError, WasmProbeScheduler, type ProbeId, type ProbeScheduler, type ProbeSpec } from "../../bindings/core/probes.ts";
import { TwinProbeScheduler } from "../../bindings/core/twin/probes.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const RUNS = 10_000;
/** Digest of the fixed-seed run below; the same on Node and Deno. */
const GOLDEN = "e26d73b7";

const specArb = fc.record({
  kind: fc.integer({ min: 0, max: 2 }),
  period: fc.integer({ min: 1, max: 4 }),
  delay: fc.integer({ min: 0, max: 6 }),
  timeout: fc.integer({ min: 1, max: 3 }),
  succ: fc.integer({ min: 1, max: 3 }),
  fail: fc.integer({ min: 1, max: 4 }),
  startedAgo: fc.oneof(fc.integer({ min: 0, max: 8000 }), fc.constant(2500.5)),
  // ["index", n]: an earlier startup spec of the batch; ["id", n]: an existing startup probe; ["raw", n]: any index.
  gate: fc.oneof(
    { weight: 3, arbitrary: fc.constant<[string, number]>(["none", 0]) },
    { weight: 4, arbitrary: fc.tuple(fc.constant("index"), fc.nat(3)) },
    { weight: 2, arbitrary: fc.tuple(fc.constant("id"), fc.nat(50)) },
    { weight: 1, arbitrary: fc.tuple(fc.constant("raw"), fc.nat(4)) },
  ),
  // 0: break the spec (kind 3, period 0, successThreshold 2 on liveness/startup, or NaN start).
  broken: fc.nat(40),
});

/** A time step in ms; whole half-seconds make exact hits on period ticks common. */
const timeStep = (max: number) => fc.oneof(fc.integer({ min: 0, max }), fc.integer({ min: 0, max: max / 500 }).map((n) => n * 500));

const outcomeArb = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(9) });
const picksArb = fc.array(fc.nat(50), { maxLength: 5 });

const opArb = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant("add" as const), specs: fc.array(specArb, { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("remove" as const), picks: fc.array(fc.nat(50), { maxLength: 3 }), unknown: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("restart" as const), picks: fc.array(fc.nat(50), { maxLength: 3 }), ago: fc.integer({ min: 0, max: 7000 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("tick" as const), dt: timeStep(9000), cap: fc.integer({ min: 1, max: 6 }) }) },
  {
    weight: 3, arbitrary: fc.record({
      t: fc.constant("report" as const), picks: picksArb, outcomes: fc.array(outcomeArb, { minLength: 6, maxLength: 6 }),
      stale: fc.boolean(), lateBy: timeStep(25000),
    }),
  },
  // Everything due after dt, reported at once (with a small delay): drives thresholds and transitions.
  {
    weight: 6, arbitrary: fc.record({
      t: fc.constant("cycle" as const), dt: timeStep(6000), lateBy: timeStep(3000),
      outcomes: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) }), { minLength: 16, maxLength: 16 }),
    }),
  },
);

/** When the kubelet started: long ago (no jitter), recently, or exactly one period before the first add. */
const kubeletStartArb = fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.constant(-1e9), fc.integer({ min: 0, max: 8 }).map((n) => 10_000 - n * 500));

type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function attempt<T>(f: () => T): T | { error: [number, string] } {
  try {
    return f();
  } catch (e) {
    if (e instanceof ProbeSchedulerError) return { error: [e.code, e.message] };
    throw e;
  }
}

/** Runs the ops against one scheduler; returns the JSON of everything it observed, step by step. */
function drive(s: ProbeScheduler, ops: readonly Op[]): string[] {
  const steps: string[] = [];
  let now = 10_000;
  let known: number[] = [];
  let pending: number[] = [];
  const startups = new Set<number>();
  const pick = (list: number[], p: number) => list[p % list.length]!;
  const report = (ids: number[], outcomes: number[], at: number) => {
    const tr = new Int32Array(ids.length);
    const n = s.report(ids.length, Int32Array.from(ids), Int32Array.from(outcomes.slice(0, ids.length)), at, tr);
    pending = pending.filter((id) => !ids.includes(id));
    return [n, Array.from(tr)];
  };
  for (const op of ops) {
    let out: unknown;
    if (op.t === "add") {
      const specs = op.specs.map((g, i): ProbeSpec => {
        const spec: ProbeSpec = {
          kind: g.kind as ProbeSpec["kind"], periodSeconds: g.period, initialDelaySeconds: g.delay, timeoutSeconds: g.timeout,
          successThreshold: g.kind === 1 ? g.succ : 1, failureThreshold: g.fail, containerStartedAt: now - g.startedAgo,
        };
        const earlier = op.specs.slice(0, i).flatMap((e, k) => (e.kind === 2 ? [k] : []));
        const existing = known.filter((id) => startups.has(id));
        if (g.gate[0] === "index" && g.kind !== 2 && earlier.length > 0) spec.gatedByIndex = pick(earlier, g.gate[1]);
        if (g.gate[0] === "id" && g.kind !== 2 && existing.length > 0) spec.gatedBy = pick(existing, g.gate[1]) as ProbeId;
        if (g.gate[0] === "raw") spec.gatedByIndex = g.gate[1];
        if (g.broken === 0) Object.assign(spec, [{ kind: 3 }, { periodSeconds: 0 }, { successThreshold: 2, kind: 0 }, { containerStartedAt: NaN }][g.fail - 1]);
        return spec;
      });
      out = attempt(() => s.add(specs, now));
      if (Array.isArray(out)) {
        (out as number[]).forEach((id, i) => (specs[i]!.kind === 2 ? startups.add(id) : startups.delete(id)));
        known.push(...(out as number[]));
      }
    } else if (op.t === "remove") {
      const ids = known.length > 0 ? op.picks.map((p) => pick(known, p)) : [];
      if (op.unknown) ids.push(4242);
      out = attempt(() => s.remove(ids as ProbeId[], now));
      known = known.filter((id) => !ids.includes(id));
      pending = pending.filter((id) => !ids.includes(id));
    } else if (op.t === "restart") {
      const ids = known.length > 0 ? op.picks.map((p) => pick(known, p)) : [];
      out = attempt(() => s.restart(ids.map((id) => ({ id: id as ProbeId, startedAt: now - op.ago })), now));
      pending = pending.filter((id) => !ids.includes(id));
    } else if (op.t === "tick") {
      now += op.dt;
      const ids = new Int32Array(op.cap);
      const timeouts = new Int32Array(op.cap);
      const k = s.due(now, ids, timeouts);
      pending.push(...ids.subarray(0, k));
      out = [k, Array.from(ids), Array.from(timeouts)];
    } else if (op.t === "report") {
      const ids = pending.length > 0 ? [...new Set(op.picks.map((p) => pick(pending, p)))] : [];
      if (op.stale && known.length > 0) ids.push(pick(known, op.picks[0] ?? 0));
      out = report(ids, op.outcomes, now + op.lateBy);
    } else {
      now += op.dt;
      const ids = new Int32Array(16);
      const k = s.due(now, ids);
      pending.push(...ids.subarray(0, k));
      out = [k, report(Array.from(ids.subarray(0, k)), op.outcomes, now + op.lateBy)];
    }
    steps.push(JSON.stringify([op.t, out, s.size, s.nextDue(), s.state(known as ProbeId[])]));
  }
  return steps;
}

test(`wasm and twin probe schedulers agree on ${RUNS} random operation sequences`, () => {
  fc.assert(
    fc.property(fc.nat(), kubeletStartArb, fc.array(opArb, { minLength: 4, maxLength: 40, size: "large" }), (seed, kubeletStartedAt, ops) => {
      const options = { seed, kubeletStartedAt };
      const wasm = drive(new WasmProbeScheduler(core, options), ops);
      const twin = drive(new TwinProbeScheduler(options), ops);
      for (let i = 0; i < ops.length; i++) {
        if (wasm[i] !== twin[i]) throw new Error(`step ${i} differs:\n wasm ${wasm[i]}\n twin ${twin[i]}`);
      }
    }),
    { numRuns: RUNS },
  );
});

/** A short hex digest of everything a run observed. */
const digestOf = (text: string) => fnv1a32(new TextEncoder().encode(text)).toString(16).padStart(8, "0");

test("a fixed-seed probe run observes the same outputs on every host (golden digest)", () => {
  const runs = fc.sample(fc.array(opArb, { minLength: 20, maxLength: 40, size: "large" }), { seed: 20261122, numRuns: 200 });
  const digest = digestOf(runs.map((ops) => drive(new WasmProbeScheduler(core, { seed: 42, kubeletStartedAt: 5000 }), ops).join("\n")).join("\n"));
  if (digest !== GOLDEN) throw new Error(`digest ${digest}, expected ${GOLDEN} (Node and Deno must agree; update GOLDEN only on a deliberate change)`);
});

test.run();
