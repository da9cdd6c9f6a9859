// Restart backoff rules (upstream flowcontrol.Backoff as kuberuntime and the image manager use
// it), each checked on core.wasm and on the pure-TS twin.
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { instantiateCore } from "../../bindings/core/load.ts";
import {
  BackoffError, BackoffTable, WasmKeyedBackoff, type BackoffOptions, type KeyedBackoff,
} from "../../bindings/core/backoff.ts";
import { TwinKeyedBackoff } from "../../bindings/core/twin/backoff.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const S = 1000;

function make(impl: string, options: BackoffOptions = { table: BackoffTable.ContainerRestart }): KeyedBackoff {
  return impl === "wasm" ? new WasmKeyedBackoff(core, options) : new TwinKeyedBackoff(options);
}

/** Declares one rule, checked against both implementations. */
function rule(name: string, check: (impl: string) => void): void {
  for (const impl of ["wasm", "twin"]) test(`${name} [${impl}]`, () => check(impl));
}

const KEY = "default_web_0b7c_app_1a2b3c";

rule("backoff doubles from 10s and caps at 300s", (impl) => {
  const b = make(impl);
  const steps = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => b.next(KEY, i * 60 * S, i * 60 * S));
  assert.equal(steps, [10, 20, 40, 80, 160, 300, 300, 300].map((s) => s * S));
  assert.is(b.get(KEY), 300 * S);
});

rule("a container is in backoff until the backoff has passed since it finished", (impl) => {
  const b = make(impl);
  b.next(KEY, 0, 0);
  b.next(KEY, 1 * S, 1 * S); // 20 s
  const finished = 5 * S;
  assert.ok(b.inBackoffSince(KEY, finished, finished + 19_999));
  assert.not.ok(b.inBackoffSince(KEY, finished, finished + 20 * S));
});

rule("backoff resets after 2x max of quiet", (impl) => {
  const b = make(impl);
  b.next(KEY, 0, 0);
  assert.is(b.next(KEY, 600 * S, 600 * S), 20 * S, "exactly 2x max is not yet quiet enough");
  assert.is(b.next(KEY, 1200 * S + 1, 1200 * S + 1), 10 * S, "more than 2x max after the last update starts over");
  assert.not.ok(b.inBackoffSince(KEY, 1800 * S + 2, 1800 * S + 2), "an expired entry is not in backoff");
});

rule("unknown keys are never in backoff", (impl) => {
  const b = make(impl);
  assert.not.ok(b.inBackoffSince("nobody", 0, 0));
  assert.not.ok(b.inBackoffSinceUpdate("nobody", 0));
  assert.is(b.get("nobody"), 0);
});

rule("decide applies Next and allows the restart once the backoff has passed (CrashLoopBackOff)", (impl) => {
  const b = make(impl);
  const keys = [KEY, "other"];
  const inBackoff = new Uint8Array(2);
  const ms = new Float64Array(2);
  // First exits: no entry yet, so both restart and start at 10 s.
  assert.is(b.decide(2, keys, Float64Array.of(0, 0), 1 * S, inBackoff, ms), 0);
  assert.equal(Array.from(ms), [10 * S, 10 * S]);
  // KEY exits again 2 s after its restart: still inside 10 s; "other" is checked after 10 s.
  assert.is(b.decide(2, keys, Float64Array.of(3 * S, 0), 11 * S, inBackoff, ms), 1);
  assert.equal(Array.from(inBackoff), [1, 0]);
  assert.equal(Array.from(ms), [10 * S, 20 * S]);
});

rule("image pull backoff counts from the last failed pull (IsInBackOffSinceUpdate)", (impl) => {
  const b = make(impl, { table: BackoffTable.ImagePull });
  const key = "pod-uid_docker.io/library/nginx:1.27";
  b.next(key, 100 * S, 100 * S);
  assert.ok(b.inBackoffSinceUpdate(key, 109 * S));
  assert.not.ok(b.inBackoffSinceUpdate(key, 110 * S));
  b.next(key, 110 * S, 110 * S);
  assert.ok(b.inBackoffSinceUpdate(key, 129 * S));
});

rule("gc forgets keys not updated for more than 2x max", (impl) => {
  const b = make(impl);
  b.next("a", 0, 0);
  b.next("b", 100 * S, 100 * S);
  assert.equal(b.gc(600 * S), []);
  assert.equal(b.gc(600 * S + 1), ["a"]);
  assert.is(b.size, 1);
  assert.is(b.get("a"), 0);
  assert.is(b.next("a", 601 * S, 601 * S), 10 * S);
});

rule("reset forgets a key", (impl) => {
  const b = make(impl);
  b.next(KEY, 0, 0);
  b.next(KEY, 0, 0);
  b.reset(KEY);
  assert.is(b.size, 0);
  assert.not.ok(b.inBackoffSince(KEY, 0, 1));
  assert.is(b.next(KEY, 0, 0), 10 * S);
});

rule("initial and max backoff are configurable and validated", (impl) => {
  const b = make(impl, { table: BackoffTable.ImagePull, initialMs: 1 * S, maxMs: 3 * S });
  assert.equal([0, 1, 2].map(() => b.next(KEY, 0, 0)), [1 * S, 2 * S, 3 * S]);
  assert.throws(() => make(impl, { table: BackoffTable.ImagePull, initialMs: 0 }), (e: unknown) => e instanceof BackoffError && e.code === -5);
  assert.throws(() => make(impl, { table: BackoffTable.ImagePull, initialMs: 5, maxMs: 4 }), /maxMs >= initialMs/);
});

rule("non-finite times are rejected before anything changes", (impl) => {
  const b = make(impl);
  assert.throws(() => b.next(KEY, NaN, 0), (e: unknown) => e instanceof BackoffError && e.code === -4);
  assert.throws(() => b.decide(1, [KEY], Float64Array.of(Infinity), 0, new Uint8Array(1), new Float64Array(1)), /finite/);
  assert.is(b.size, 0);
});

test("container restart and image pull tables of one core are independent", () => {
  const restarts = new WasmKeyedBackoff(core, { table: BackoffTable.ContainerRestart });
  const pulls = new WasmKeyedBackoff(core, { table: BackoffTable.ImagePull, initialMs: 1 * S });
  restarts.next(KEY, 0, 0);
  pulls.next(KEY, 0, 0);
  pulls.next(KEY, 0, 0);
  assert.is(restarts.get(KEY), 10 * S);
  assert.is(pulls.get(KEY), 2 * S);
});

test("decide carries batches larger than the shared buffer", () => {
  for (const impl of ["wasm", "twin"]) {
    const b = make(impl);
    const n = 10_000;
    const keys = Array.from({ length: n }, (_, i) => `pod-${i}`);
    const inBackoff = new Uint8Array(n);
    const ms = new Float64Array(n);
    assert.is(b.decide(n, keys, new Float64Array(n), 0, inBackoff, ms), 0);
    assert.is(b.decide(n, keys, new Float64Array(n), 5 * S, inBackoff, ms), n);
    assert.is(b.size, n);
  }
});

test.run();
