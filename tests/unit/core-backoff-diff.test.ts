// Differential property test: random sequences of backoff operations (next, the in-backoff
// checks, decide, get, reset, gc, time passing) give identical outputs on core.wasm and the twin.
import { readFileSync } from "node:fs";
import { fnv1a32 } from "../../kubelet/kuberuntime/containerHash.ts";
import fc from "fast-check";
import { test } from "uvu";
import { instantiateCore } from "../../bindings/core/load.ts";
import { BackoffError, WasmKeyedBackoff, type BackoffOptions, type KeyedBackoff } from "../../bindings/core/backoff.ts";
import { TwinKeyedBackoff } from "../../bindings/core/twin/backoff.ts";

const core = await instantiateCore(readFileSync(new URL("../../dist/core.wasm", import.meta.url)));
const RUNS = 10_000;
/** Digest of the fixed-seed run below; the same on Node and Deno. */
const GOLDEN = "0fe0a887";
const KEYS = ["ns_a_uid1_c1_9f", "ns_a_uid1_c2_9f", "ns_b_uid2_c1_01", "uid3_nginx:1.27", "uid3_busybox", "x"];

const key = fc.nat(KEYS.length - 1);
// Whole 10 s steps make the boundaries (backoff elapsed exactly, exactly 2 x max quiet) common.
const ago = fc.oneof(fc.integer({ min: 0, max: 700_000 }), fc.integer({ min: 0, max: 70 }).map((n) => n * 10_000), fc.constant(0.25));
const opArb = fc.oneof(
  fc.record({ t: fc.constant("next" as const), k: key, ago }),
  fc.record({ t: fc.constant("since" as const), k: key, ago }),
  fc.record({ t: fc.constant("sinceUpdate" as const), k: key, ago }),
  fc.record({ t: fc.constant("get" as const), k: key }),
  fc.record({ t: fc.constant("reset" as const), k: key }),
  fc.record({ t: fc.constant("gc" as const) }),
  fc.record({ t: fc.constant("decide" as const), ks: fc.array(key, { maxLength: 6 }), agos: fc.array(ago, { minLength: 6, maxLength: 6 }) }),
  fc.record({ t: fc.constant("wait" as const), dt: fc.oneof(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 900_000 }), fc.integer({ min: 0, max: 90 }).map((n) => n * 10_000)) }),
  fc.record({ t: fc.constant("bad" as const), k: key }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function attempt(f: () => unknown): unknown {
  try {
    return f();
  } catch (e) {
    if (e instanceof BackoffError) return { error: [e.code, e.message] };
    throw e;
  }
}

/** Runs the ops against one backoff; returns the JSON of everything observed, step by step. */
function drive(b: KeyedBackoff, ops: readonly Op[]): string[] {
  let now = 1_000_000;
  return ops.map((op) => {
    let out: unknown;
    switch (op.t) {
      case "next": out = b.next(KEYS[op.k]!, now - op.ago, now); break;
      case "since": out = b.inBackoffSince(KEYS[op.k]!, now - op.ago, now); break;
      case "sinceUpdate": out = b.inBackoffSinceUpdate(KEYS[op.k]!, now - op.ago); break;
      case "get": out = b.get(KEYS[op.k]!); break;
      case "reset": b.reset(KEYS[op.k]!); break;
      case "gc": out = b.gc(now); break;
      case "wait": now += op.dt; break;
      case "bad": out = attempt(() => b.next(KEYS[op.k]!, NaN, now)); break;
      case "decide": {
        const n = op.ks.length;
        const inBackoff = new Uint8Array(n);
        const ms = new Float64Array(n);
        const count = b.decide(n, op.ks.map((k) => KEYS[k]!), Float64Array.from(op.agos.slice(0, n), (a) => now - a), now, inBackoff, ms);
        out = [count, Array.from(inBackoff), Array.from(ms)];
      }
    }
    return JSON.stringify([op.t, out, b.size, KEYS.map((k) => b.get(k))]);
  });
}

const optionsArb = fc.record({
  table: fc.constantFrom(0 as const, 1 as const),
  initialMs: fc.oneof(fc.constant(10_000), fc.constant(20_000), fc.integer({ min: 1, max: 20_000 })),
  maxFactor: fc.oneof(fc.constant(30), fc.integer({ min: 1, max: 40 })),
});

test(`wasm and twin backoffs agree on ${RUNS} random operation sequences`, () => {
  fc.assert(
    fc.property(optionsArb, fc.array(opArb, { minLength: 4, maxLength: 40, size: "large" }), (o, ops) => {
      const options: BackoffOptions = { table: o.table, initialMs: o.initialMs, maxMs: o.initialMs * o.maxFactor };
      const wasm = drive(new WasmKeyedBackoff(core, options), ops);
      const twin = drive(new TwinKeyedBackoff(options), ops);
      for (let i = 0; i < ops.length; i++) {
        if (wasm[i] !== twin[i]) throw new Error(`step ${i} differs:\n wasm ${wasm[i]}\n twin ${twin[i]}`);
      }
    }),
    { numRuns: RUNS },
  );
});

/** A short hex digest of everything a run observed. */
const digestOf = (text: string) => fnv1a32(new TextEncoder().encode(text)).toString(16).padStart(8, "0");

test("a fixed-seed backoff run observes the same outputs on every host (golden digest)", () => {
  const runs = fc.sample(fc.array(opArb, { minLength: 20, maxLength: 40, size: "large" }), { seed: 20261122, numRuns: 200 });
  const digest = digestOf(runs.map((ops) => drive(new WasmKeyedBackoff(core, { table: 0 }), ops).join("\n")).join("\n"));
  if (digest !== GOLDEN) throw new Error(`digest ${digest}, expected ${GOLDEN} (Node and Deno must agree; update GOLDEN only on a deliberate change)`);
});

test.run();
