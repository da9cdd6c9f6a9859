/**
 * Restart backoff benchmark: time per CrashLoopBackOff decision (decide(), batched over every
 * crashed container of a sync round) for the Wasm core and the pure-TS twin.
 */
import type { CoreExports } from "../../bindings/core/load.ts";
import { BackoffTable, WasmKeyedBackoff, type KeyedBackoff } from "../../bindings/core/backoff.ts";
import { TwinKeyedBackoff } from "../../bindings/core/twin/backoff.ts";
import type { Impl } from "./probes.ts";

/**
 * n containers crash-loop: each round (one every 5 s of simulated time) decides for all of them,
 * with finish times spread over the last 40 s, so answers mix "still in backoff" and "restart
 * (Next)". Returns nanoseconds per decision.
 */
export function benchBackoffDecisions(n: number, impl: Impl, core: CoreExports): { nsPerDecision: number; decisions: number } {
  const b: KeyedBackoff = impl === "wasm"
    ? new WasmKeyedBackoff(core, { table: BackoffTable.ContainerRestart })
    : new TwinKeyedBackoff({ table: BackoffTable.ContainerRestart });
  const keys = Array.from({ length: n }, (_, i) => `default_pod-${i}_8f14e45f-ceea-467f-a0e6-${i}_app_3c7a1e2b`);
  const finished = new Float64Array(n);
  const inBackoff = new Uint8Array(n);
  const backoffMs = new Float64Array(n);
  const rounds = Math.max(8, Math.ceil(2_000_000 / n));
  let decisions = 0;
  let ms = 0;
  for (let r = 0; r < rounds; r++) {
    const now = 1_000_000 + r * 5000;
    for (let i = 0; i < n; i++) finished[i] = now - ((i * 7919 + r * 104_729) % 40_000);
    const t0 = performance.now();
    b.decide(n, keys, finished, now, inBackoff, backoffMs);
    ms += performance.now() - t0;
    decisions += n;
  }
  return { nsPerDecision: (ms * 1e6) / decisions, decisions };
}
