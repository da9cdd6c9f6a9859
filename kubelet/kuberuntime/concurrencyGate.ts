/**
 * A FIFO concurrency gate for runtime calls that compete for the node's CPUs, used to bound how
 * many RunPodSandbox calls run at once (upstream has no such bound: every pod worker calls the
 * runtime at the same moment in a burst).
 *
 * Why: a sandbox start is mostly CPU work in the runtime (runc, CNI plugins, iptables). When 30 run
 * at once on 2 cores they share the CPUs and all finish together, late; started a few at a time
 * they finish one after another and the same total work yields pods Ready progressively. Measured
 * on the 2-core testbed (bench/api-startup/rawBurst.ts, raw CRI, burst of 30, 5 interleaved rounds):
 * per-pod start p50 2.8-4.2 s unbounded vs 1.6-2.2 s with 4 sandboxes at a time, the last pod no
 * later (max 3.1-4.4 s vs 2.7-3.7 s).
 *
 * A call that holds a slot longer than `maxHoldMs` (a CNI plugin stuck, a 4-minute timeout) stops
 * counting against the bound, so a few slow sandboxes never hold up every other pod.
 */
import type { Cancel, Clock } from "../ports/clock.ts";

/** Bounds concurrent calls; `run` waits (FIFO) for a slot. */
export class ConcurrencyGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly clock: Clock, readonly limit: number, readonly maxHoldMs: number) {
    if (!(limit >= 1)) throw new Error(`ConcurrencyGate: limit must be >= 1, got ${limit}`);
  }

  /** Calls in flight that still count against the limit. */
  get inFlight(): number {
    return this.active;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` once a slot is free; the slot is given back when it settles or after `maxHoldMs`. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      cancel();
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next caller
      else this.active--;
    };
    const cancel: Cancel = this.clock.setTimer(this.maxHoldMs, release);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** How many sandboxes start at once by default, and how long one may hold its slot. */
export const SANDBOX_START_LIMIT = 4;
export const SANDBOX_START_MAX_HOLD_MS = 5_000;

const perRuntime = new WeakMap<object, ConcurrencyGate>();

/** The sandbox-start gate shared by every pod synced against the runtime connection `cri`. */
export function sandboxStartGate(cri: object, clock: Clock): ConcurrencyGate {
  let g = perRuntime.get(cri);
  if (!g) perRuntime.set(cri, (g = new ConcurrencyGate(clock, SANDBOX_START_LIMIT, SANDBOX_START_MAX_HOLD_MS)));
  return g;
}
