// Probe scheduling rules (upstream pkg/kubelet/prober worker.go, results), each checked on
// core.wasm and on the pure-TS twin.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import {
  ProbeKind, ProbeOutcome, ProbeResult, ProbeSchedulerError, ProbeTransition, WasmProbeScheduler,
  type ProbeId, type ProbeScheduler, type ProbeSpec,
} from "../../bindings/core/probes.ts";
import { TwinProbeScheduler } from "../../bindings/core/twin/probes.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));

/** A kubelet that started long ago: no first-run jitter, so due times are exact. */
const OLD = { seed: 7, kubeletStartedAt: -1e9 };
const S = 1000;

function make(impl: string, options = OLD): ProbeScheduler {
  return impl === "wasm" ? new WasmProbeScheduler(core, options) : new TwinProbeScheduler(options);
}

/** Declares one rule, checked against both implementations. */
function rule(name: string, check: (impl: string) => void): void {
  for (const impl of ["wasm", "twin"]) test(`${name} [${impl}]`, () => check(impl));
}

function spec(kind: ProbeSpec["kind"], extra: Partial<ProbeSpec> = {}): ProbeSpec {
  return {
    kind, periodSeconds: 10, initialDelaySeconds: 0, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
    containerStartedAt: 0, ...extra,
  };
}

/** Takes every probe due at `now`. */
function due(s: ProbeScheduler, now: number): number[] {
  const ids = new Int32Array(64);
  return Array.from(ids.subarray(0, s.due(now, ids)));
}

/** Reports one outcome for `id` and returns its transition. */
function report(s: ProbeScheduler, id: number, outcome: number, now: number): number {
  const tr = new Int32Array(1);
  s.report(1, Int32Array.of(id), Int32Array.of(outcome), now, tr);
  return tr[0]!;
}

/** Runs probe `id` at each of its next due times with the given outcomes; returns the transitions. */
function run(s: ProbeScheduler, id: number, outcomes: number[]): number[] {
  return outcomes.map((o) => {
    const t = s.nextDue();
    assert.ok(Number.isFinite(t), "probe should be scheduled");
    assert.equal(due(s, t), [id]);
    return report(s, id, o, t);
  });
}

const state = (s: ProbeScheduler, id: ProbeId) => s.state([id])[0]!;
const { Success, Failure, Timeout, Error: Err } = ProbeOutcome;
const { None, BecameReady, BecameUnready, LivenessFailed, StartupSucceeded, StartupFailed } = ProbeTransition;

rule("readiness starts as failure, liveness as success, startup as unknown", (impl) => {
  const s = make(impl);
  const [r, l, st] = s.add([spec(ProbeKind.Readiness), spec(ProbeKind.Liveness), spec(ProbeKind.Startup)], 0);
  assert.is(state(s, r!).result, ProbeResult.Failure);
  assert.is(state(s, l!).result, ProbeResult.Success);
  assert.is(state(s, st!).result, ProbeResult.Unknown);
});

rule("initialDelaySeconds counts from container start, on the probe's period grid", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Liveness, { initialDelaySeconds: 25, containerStartedAt: -3 * S })], 0);
  // Ticks at 0, 10 s, 20 s, 30 s...; the container is 25 s old at 22 s, so the 30 s tick is first.
  assert.is(s.nextDue(), 30 * S);
  assert.equal(due(s, 29 * S), []);
  assert.equal(due(s, 30 * S), [id]);
});

rule("first run is jittered by a seeded fraction of the period while the kubelet is young", (impl) => {
  const young = (seed: number) => {
    const s = make(impl, { seed, kubeletStartedAt: 0 });
    s.add([spec(ProbeKind.Readiness), spec(ProbeKind.Readiness)], 1 * S);
    return s.state([0 as ProbeId, 1 as ProbeId]).map((p) => p!.due);
  };
  const a = young(12345);
  assert.equal(young(12345), a, "same seed, same schedule");
  assert.not.equal(young(999), a, "another seed, another schedule");
  for (const d of a) assert.ok(d >= 1 * S && d < 11 * S && Number.isInteger(d), `due ${d} within one period`);
});

rule("no jitter once the kubelet has run longer than the period", (impl) => {
  const s = make(impl, { seed: 5, kubeletStartedAt: 0 });
  const [id] = s.add([spec(ProbeKind.Readiness)], 11 * S);
  assert.is(state(s, id!).due, 11 * S);
});

rule("probes run on their period grid", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Readiness, { periodSeconds: 5 })], 0);
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    times.push(s.nextDue());
    run(s, id!, [Success]);
  }
  assert.equal(times, [0, 5 * S, 10 * S, 15 * S]);
});

rule("a tick missed while the probe ran fires once when the result arrives", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Readiness)], 0);
  assert.equal(due(s, 0), [id]);
  report(s, id!, Success, 25 * S); // the 10 s and 20 s ticks passed meanwhile
  assert.is(s.nextDue(), 20 * S);
  assert.equal(due(s, 25 * S), [id]);
  report(s, id!, Success, 25 * S);
  assert.is(s.nextDue(), 30 * S);
});

rule("readiness becomes ready after successThreshold consecutive successes", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Readiness, { successThreshold: 3 })], 0);
  assert.equal(run(s, id!, [Success, Success, Failure, Success, Success, Success]), [None, None, None, None, None, BecameReady]);
  assert.is(state(s, id!).result, ProbeResult.Success);
});

rule("liveness fails only after failureThreshold consecutive failures", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Liveness, { failureThreshold: 3 })], 0);
  assert.equal(run(s, id!, [Failure, Failure, Success, Failure, Failure]), [None, None, None, None, None]);
  assert.equal(run(s, id!, [Failure]), [LivenessFailed]);
});

rule("timeout counts as failure", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Liveness, { failureThreshold: 2 })], 0);
  assert.equal(run(s, id!, [Timeout, Failure]), [None, LivenessFailed]);
});

rule("an error (probe could not run) is discarded, as upstream throws the result away", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Liveness, { failureThreshold: 2 })], 0);
  assert.equal(run(s, id!, [Failure, Err, Err]), [None, None, None]);
  assert.is(state(s, id!).resultRun, 1);
  assert.equal(run(s, id!, [Failure]), [LivenessFailed]);
});

rule("liveness failure holds the probe until the container restarts", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Liveness, { failureThreshold: 1 })], 0);
  assert.equal(run(s, id!, [Failure]), [LivenessFailed]);
  assert.ok(state(s, id!).onHold);
  assert.is(s.nextDue(), Infinity);
  assert.equal(due(s, 1e9), []);
  s.restart([{ id: id!, startedAt: 40 * S }], 41 * S);
  const st = state(s, id!);
  assert.is(st.result, ProbeResult.Success);
  assert.not.ok(st.onHold);
  assert.is(s.nextDue(), 50 * S);
});

rule("readiness keeps probing after it becomes unready", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Readiness, { failureThreshold: 1 })], 0);
  assert.equal(run(s, id!, [Success, Failure, Failure, Success]), [BecameReady, BecameUnready, None, BecameReady]);
  assert.ok(state(s, id!).scheduled);
});

rule("startup gates liveness and readiness until it succeeds", (impl) => {
  const s = make(impl);
  const [st, l, r] = s.add([
    spec(ProbeKind.Startup, { periodSeconds: 2 }),
    spec(ProbeKind.Liveness, { gatedByIndex: 0 }),
    spec(ProbeKind.Readiness, { gatedByIndex: 0, periodSeconds: 3 }),
  ], 0);
  assert.ok(state(s, l!).parked && state(s, r!).parked);
  assert.equal(run(s, st!, [Failure]), [None]);
  assert.equal(run(s, st!, [Success]), [StartupSucceeded]);
  // Released at 2 s: each resumes at its own next tick (liveness 10 s, readiness 3 s).
  assert.not.ok(state(s, l!).parked);
  assert.is(state(s, l!).due, 10 * S);
  assert.is(state(s, r!).due, 3 * S);
  assert.not.ok(state(s, st!).scheduled, "startup stops probing once it succeeded");
  assert.equal(due(s, 10 * S), [r, l]);
});

rule("startup failure holds the startup probe until the container restarts", (impl) => {
  const s = make(impl);
  const [st, l] = s.add([spec(ProbeKind.Startup, { failureThreshold: 2 }), spec(ProbeKind.Liveness, { gatedByIndex: 0 })], 0);
  assert.equal(run(s, st!, [Failure, Failure]), [None, StartupFailed]);
  assert.ok(state(s, st!).onHold);
  assert.is(s.nextDue(), Infinity);
  s.restart([{ id: st!, startedAt: 30 * S }, { id: l!, startedAt: 30 * S }], 30 * S);
  assert.is(state(s, st!).result, ProbeResult.Unknown);
  assert.ok(state(s, l!).parked);
  assert.equal(run(s, st!, [Success]), [StartupSucceeded]);
});

rule("a container restart resets results and closes the startup gate again", (impl) => {
  const s = make(impl);
  const [st, r] = s.add([spec(ProbeKind.Startup, { periodSeconds: 1 }), spec(ProbeKind.Readiness, { gatedByIndex: 0 })], 0);
  run(s, st!, [Success]);
  assert.equal(run(s, r!, [Success]), [BecameReady]);
  s.restart([{ id: st!, startedAt: 100 * S }, { id: r!, startedAt: 100 * S }], 100 * S);
  const rs = state(s, r!);
  assert.is(rs.result, ProbeResult.Failure);
  assert.is(rs.resultRun, 0);
  assert.ok(rs.parked);
  assert.equal(due(s, 100 * S), [st]);
});

rule("due hands out at most the buffer's length, in (due, id) order; nextDue arms one timer", (impl) => {
  const s = make(impl);
  const ids = s.add([5, 3, 3, 1].map((p) => spec(ProbeKind.Readiness, { initialDelaySeconds: 1, periodSeconds: p })), 0);
  assert.is(s.nextDue(), 1 * S);
  const out = new Int32Array(2);
  assert.is(s.due(3 * S, out), 2);
  assert.equal(Array.from(out), [ids[3], ids[1]]); // 1 s (period 1), then 3 s (ids 1 and 2, lower id first)
  assert.equal(due(s, 3 * S), [ids[2]]);
  assert.is(s.nextDue(), 5 * S);
});

rule("results for probes not handed out, unknown ids and bad outcomes are rejected per entry", (impl) => {
  const s = make(impl);
  const [a, b] = s.add([spec(ProbeKind.Readiness), spec(ProbeKind.Readiness)], 0);
  due(s, 0);
  const tr = new Int32Array(4);
  const n = s.report(4, Int32Array.of(a!, 99, b!, a!), Int32Array.of(Success, Success, 7, Success), 0, tr);
  assert.equal(Array.from(tr), [BecameReady, -2, -6, -4]);
  assert.is(n, 1);
});

rule("removed ids are reused, and removing a startup probe releases its dependents", (impl) => {
  const s = make(impl);
  const [st, l] = s.add([spec(ProbeKind.Startup), spec(ProbeKind.Liveness, { gatedByIndex: 0 })], 0);
  s.remove([st!], 5 * S);
  assert.ok(state(s, l!).scheduled);
  assert.is(state(s, l!).due, 10 * S);
  assert.is(s.state([st!])[0], undefined);
  assert.equal(s.add([spec(ProbeKind.Readiness)], 5 * S), [st]);
  assert.throws(() => s.remove([77 as ProbeId], 0), (e: unknown) => e instanceof ProbeSchedulerError && e.code === -2);
  assert.is(s.size, 2);
});

rule("an invalid spec rejects the whole batch and names the spec", (impl) => {
  const s = make(impl);
  const bad = [spec(ProbeKind.Readiness), spec(ProbeKind.Readiness, { periodSeconds: 0 })];
  assert.throws(() => s.add(bad, 0), (e: unknown) => e instanceof ProbeSchedulerError && e.code === -3 && /spec 1/.test(e.message));
  assert.is(s.size, 0);
  assert.throws(() => s.add([spec(ProbeKind.Liveness, { successThreshold: 2 })], 0), /successThreshold 1 for liveness/);
  assert.throws(() => s.add([spec(ProbeKind.Liveness, { gatedByIndex: 0 })], 0), /gatedBy/);
  assert.throws(() => s.add([spec(ProbeKind.Readiness, { containerStartedAt: NaN })], 0), /finite/);
});

rule("resultRun saturates at 65535 instead of wrapping", (impl) => {
  const s = make(impl);
  const [id] = s.add([spec(ProbeKind.Readiness, { successThreshold: 2 })], 0);
  const ids = Int32Array.of(id!);
  const ok = Int32Array.of(Success);
  const tr = new Int32Array(1);
  for (let i = 0; i < 65_540; i++) {
    s.due(Infinity, ids);
    s.report(1, ids, ok, 0, tr);
  }
  assert.is(state(s, id!).resultRun, 65_535);
  assert.is(state(s, id!).result, ProbeResult.Success);
});

rule("due() and report() carry batches larger than the shared buffer", (impl) => {
  const s = make(impl);
  const n = 20_000;
  const ids = s.add(Array.from({ length: n }, () => spec(ProbeKind.Readiness)), 0);
  assert.is(ids.length, n);
  const got = new Int32Array(n + 5);
  assert.is(s.due(0, got), n);
  const tr = new Int32Array(n);
  assert.is(s.report(n, got, new Int32Array(n), 1, tr), n);
  assert.ok(tr.every((t) => t === BecameReady));
  assert.is(s.nextDue(), 10 * S);
});

test.run();
