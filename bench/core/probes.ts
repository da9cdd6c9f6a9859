/**
 * Probe scheduling benchmarks: time per scheduled probe run (due + report, batched as the prober
 * manager does) and memory per probe, for the Wasm core and the pure-TS twin.
 */
import type { CoreExports } from "../../bindings/core/load.ts";
import { ProbeKind, WasmProbeScheduler, type ProbeScheduler, type ProbeSpec } from "../../bindings/core/probes.ts";
import { TwinProbeScheduler } from "../../bindings/core/twin/probes.ts";

/** Which implementation a benchmark runs. */
export type Impl = "wasm" | "twin";

const PERIOD_S = 10;
const STEP_MS = 100;
const OPTIONS = { seed: 1, kubeletStartedAt: 0 };

function scheduler(impl: Impl, core: CoreExports): ProbeScheduler {
  return impl === "wasm" ? new WasmProbeScheduler(core, OPTIONS) : new TwinProbeScheduler(OPTIONS);
}

/** Half liveness, half readiness, 10 s period: one container's usual pair of probes. */
function specs(from: number, to: number): ProbeSpec[] {
  const out: ProbeSpec[] = [];
  for (let i = from; i < to; i++) {
    out.push({
      kind: i % 2 === 0 ? ProbeKind.Liveness : ProbeKind.Readiness, periodSeconds: PERIOD_S, initialDelaySeconds: 0,
      timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, containerStartedAt: 0,
    });
  }
  return out;
}

/** Adds n probes at time 0 (the kubelet just started, so first runs spread over one period). */
export function fill(s: ProbeScheduler, n: number): void {
  for (let i = 0; i < n; i += 10_000) s.add(specs(i, Math.min(n, i + 10_000)), 0);
}

/**
 * Simulates the prober loop for whole periods with a timer every 100 ms: due(now) hands out the
 * batch, every probe "runs" (mostly success, every 13th a failure) and report() applies the batch.
 * Returns nanoseconds per probe run.
 */
export function benchProbeRuns(n: number, impl: Impl, core: CoreExports): { nsPerRun: number; runs: number } {
  const s = scheduler(impl, core);
  fill(s, n);
  const cap = Math.max(64, Math.ceil(n / 8));
  const ids = new Int32Array(cap);
  const outcomes = new Int32Array(cap).map((_, i) => (i % 13 === 12 ? 1 : 0));
  const transitions = new Int32Array(cap);
  const periods = Math.max(2, Math.ceil(200_000 / n));
  const end = periods * PERIOD_S * 1000;
  let runs = 0;
  const t0 = performance.now();
  for (let now = STEP_MS; now <= end; now += STEP_MS) {
    for (;;) {
      const k = s.due(now, ids);
      if (k === 0) break;
      s.report(k, ids, outcomes, now, transitions);
      runs += k;
      if (k < cap) break;
    }
  }
  const ms = performance.now() - t0;
  return { nsPerRun: (ms * 1e6) / runs, runs };
}

/** Forces a full collection when the host exposes gc (node --expose-gc, deno --v8-flags=--expose-gc). */
export function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc (Node) or --v8-flags=--expose-gc (Deno) to measure memory");
  gc();
  gc();
}

/**
 * Bytes per probe: for Wasm, linear-memory growth of a fresh core instance (and the bytes its
 * probe table holds); for the twin, JS heap growth after a full collection.
 */
export async function benchProbeMemory(n: number, impl: Impl, newCore: () => Promise<CoreExports>,
  heapUsed: () => number): Promise<{ bytesPerProbe: number; tableBytesPerProbe?: number }> {
  if (impl === "wasm") {
    const core = await newCore();
    const before = core.memory.buffer.byteLength;
    const s = new WasmProbeScheduler(core, OPTIONS);
    fill(s, n);
    return { bytesPerProbe: (core.memory.buffer.byteLength - before) / n, tableBytesPerProbe: s.bytes / n };
  }
  collect();
  const before = heapUsed();
  const s = new TwinProbeScheduler(OPTIONS);
  fill(s, n);
  collect();
  const bytes = heapUsed() - before;
  if (s.size !== n) throw new Error("twin lost probes");
  return { bytesPerProbe: bytes / n };
}
