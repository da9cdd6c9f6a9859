/**
 * Probe scheduling over core.wasm: the ProbeScheduler contract (domain types, ABI codes), shared
 * with the pure-TS twin in ./twin/probes.ts, and WasmProbeScheduler, its Wasm implementation.
 * Buffer layouts and semantics: ABI.md, "Probe scheduling". Loads in Node, Deno and browsers.
 */
import type { CoreExports } from "./load.ts";

/** Which probe a container declares; decides the initial result and what a failure means. */
export const ProbeKind = { Liveness: 0, Readiness: 1, Startup: 2 } as const;
/** One of ProbeKind's values. */
export type ProbeKind = (typeof ProbeKind)[keyof typeof ProbeKind];

/** What running a probe produced; Timeout counts as Failure, Error (could not run) is discarded. */
export const ProbeOutcome = { Success: 0, Failure: 1, Timeout: 2, Error: 3 } as const;
/** One of ProbeOutcome's values. */
export type ProbeOutcome = (typeof ProbeOutcome)[keyof typeof ProbeOutcome];

/** The published result of a probe (upstream results.Result). */
export const ProbeResult = { Unknown: 0, Success: 1, Failure: 2 } as const;
/** One of ProbeResult's values. */
export type ProbeResult = (typeof ProbeResult)[keyof typeof ProbeResult];

/** What a reported outcome changed; the kubelet acts on these (status update, container kill). */
export const ProbeTransition = {
  None: 0,
  BecameReady: 1,
  BecameUnready: 2,
  LivenessFailed: 3,
  StartupSucceeded: 4,
  StartupFailed: 5,
} as const;

/** Negative codes the core returns, per entry or per call. */
export const ProbeErrorCode = {
  BadCount: -1,
  UnknownProbe: -2,
  InvalidSpec: -3,
  NotAwaitingResult: -4,
  BadGate: -5,
  BadOutcome: -6,
  OutOfMemory: -7,
  BadTime: -8,
} as const;

/** Specs per add() batch; add() is all-or-nothing within each batch of this many specs. */
export const PROBE_ADD_BATCH = 1638;
/** Entries per due()/report() round trip through the shared buffer. */
export const PROBE_IO_BATCH = 8192;

/** A probe's id in the scheduler; ids of removed probes are reused. */
export type ProbeId = number & { readonly __brand: "ProbeId" };

/** A probe to schedule: the container's probe fields plus when the container started. */
export interface ProbeSpec {
  kind: ProbeKind;
  periodSeconds: number;
  initialDelaySeconds: number;
  timeoutSeconds: number;
  successThreshold: number;
  failureThreshold: number;
  /** When the container started (ms, same clock as `now`); initialDelaySeconds counts from here. */
  containerStartedAt: number;
  /** The container's startup probe, which must succeed before this probe runs. */
  gatedBy?: ProbeId;
  /** Like gatedBy, naming a startup spec earlier in the same add() call by its index. */
  gatedByIndex?: number;
}

/** A probe's container restarted at `startedAt` (ms). */
export interface ProbeRestart {
  id: ProbeId;
  startedAt: number;
}

/** A snapshot of one probe, for status generation and tests. */
export interface ProbeState {
  kind: ProbeKind;
  result: ProbeResult;
  onHold: boolean;
  inFlight: boolean;
  parked: boolean;
  scheduled: boolean;
  /** Last counted outcome: 0 none, 1 success, 2 failure. */
  lastResult: number;
  /** How many times in a row lastResult was seen (saturates at 65535). */
  resultRun: number;
  /** Next due time, or the last tick of its period grid while idle/in flight/parked (ms). */
  due: number;
}

/** Construction options: the jitter seed and when the kubelet started (first-run stagger). */
export interface ProbeSchedulerOptions {
  seed: number;
  kubeletStartedAt: number;
}

/** A ProbeScheduler call the core rejected; `code` is a ProbeErrorCode. */
export class ProbeSchedulerError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "ProbeSchedulerError";
  }
}

const reasons: Record<number, string> = {
  [-1]: "batch size out of range",
  [-2]: "no such probe id (removed, or never added)",
  [-3]: "invalid spec: kind must be 0-2, periodSeconds >= 1, initialDelaySeconds >= 0, timeoutSeconds >= 1, " +
    "thresholds 1..65535, and successThreshold 1 for liveness and startup probes",
  [-4]: "the probe is not awaiting a result (not handed out by due(), or restarted/removed since)",
  [-5]: "gatedBy must name an existing startup probe (or gatedByIndex an earlier startup spec), and startup probes cannot be gated",
  [-6]: "outcome must be a ProbeOutcome (0-3)",
  [-7]: "core.wasm is out of memory",
  [-8]: "times must be finite numbers of milliseconds",
};

/** Says what a ProbeErrorCode means and how to fix the call. */
export function describeProbeError(code: number): string {
  return reasons[code] ?? `unknown error code ${code}`;
}

/**
 * Decides when each probe runs and what its outcomes mean (upstream prober worker semantics).
 * Pure: time is an argument. One instance per core instance (the Wasm core holds one table).
 */
export interface ProbeScheduler {
  /** Probes in the table. */
  readonly size: number;
  /** Adds probes and returns their ids; throws ProbeSchedulerError naming the first bad spec. */
  add(specs: readonly ProbeSpec[], now: number): ProbeId[];
  /** Removes probes; throws after removing the rest if some ids were unknown. */
  remove(ids: readonly ProbeId[], now: number): void;
  /** The probes' container restarted: results reset, holds lift, probing resumes after the delay. */
  restart(restarts: readonly ProbeRestart[], now: number): void;
  /** Fills `ids` (and `timeouts`) with probes due at `now`, in (due, id) order; returns the count. */
  due(now: number, ids: Int32Array, timeouts?: Int32Array): number;
  /**
   * Applies `n` outcomes of probes handed out by due(); writes a ProbeTransition or negative
   * ProbeErrorCode per entry into `transitions`; returns how many entries carry a transition.
   */
  report(n: number, ids: Int32Array, outcomes: Int32Array, now: number, transitions: Int32Array): number;
  /** When the earliest scheduled probe is due (arm one timer), or Infinity. */
  nextDue(): number;
  /** Snapshots of the given probes; undefined for unknown ids. */
  state(ids: readonly ProbeId[]): (ProbeState | undefined)[];
}

/** Decodes the core's query word (see ABI.md) into a ProbeState. */
export function decodeProbeState(word: number, run: number, due: number): ProbeState {
  return {
    kind: ((word >> 6) & 3) as ProbeKind,
    result: (word & 3) as ProbeResult,
    onHold: (word & 4) !== 0,
    inFlight: (word & 8) !== 0,
    parked: (word & 16) !== 0,
    scheduled: (word & 32) !== 0,
    lastResult: (word >> 8) & 3,
    resultRun: run,
    due,
  };
}

interface ProbeExports {
  memory: WebAssembly.Memory;
  probesBuffer(): number;
  probesInit(seed: number, kubeletStartMs: number): number;
  probesAdd(n: number, now: number): number;
  probesRemove(n: number, now: number): number;
  probesRestart(n: number, now: number): number;
  probesDue(now: number, max: number): number;
  probesReport(n: number, now: number): number;
  probesQuery(n: number): number;
  probesNextDue(): number;
  probesCount(): number;
  probesBytes(): number;
}

const ADD_STRIDE = 40;

/** ProbeScheduler backed by core.wasm: the production implementation. */
export class WasmProbeScheduler implements ProbeScheduler {
  readonly #core: ProbeExports;
  #i32 = new Int32Array(0);
  #f64 = new Float64Array(0);
  #ptr = 0;

  /** Takes the exports from instantiateCore() and empties the core's probe table. */
  constructor(core: CoreExports, options: ProbeSchedulerOptions) {
    this.#core = core as unknown as ProbeExports;
    const rc = this.#core.probesInit(options.seed >>> 0, options.kubeletStartedAt);
    if (rc < 0) throw new ProbeSchedulerError(`probes: init: ${describeProbeError(rc)}`, rc);
    this.#ptr = this.#core.probesBuffer();
  }

  /** Views of the shared buffer, re-created after memory grew (growth detaches the old ones). */
  #views(): void {
    if (this.#i32.length !== 0) return;
    const memBuffer = this.#core.memory.buffer as ArrayBuffer; // never shared; see backoff.ts
    this.#i32 = new Int32Array(memBuffer, this.#ptr, 16384);
    this.#f64 = new Float64Array(memBuffer, this.#ptr, 8192);
  }

  get size(): number {
    return this.#core.probesCount();
  }

  /** Linear-memory bytes the core's probe table holds (for the memory benchmark). */
  get bytes(): number {
    return this.#core.probesBytes();
  }

  add(specs: readonly ProbeSpec[], now: number): ProbeId[] {
    const ids: ProbeId[] = [];
    for (let start = 0; start < specs.length; start += PROBE_ADD_BATCH) {
      const n = Math.min(PROBE_ADD_BATCH, specs.length - start);
      this.#views();
      const i32 = this.#i32;
      for (let i = 0; i < n; i++) {
        const s = specs[start + i]!;
        const w = (i * ADD_STRIDE) >> 2;
        i32[w] = s.kind;
        i32[w + 1] = s.periodSeconds;
        i32[w + 2] = s.initialDelaySeconds;
        i32[w + 3] = s.timeoutSeconds;
        i32[w + 4] = s.successThreshold;
        i32[w + 5] = s.failureThreshold;
        i32[w + 6] = gateField(s, start, ids);
        i32[w + 7] = 0;
        this.#f64[(w + 8) >> 1] = s.containerStartedAt;
      }
      const rc = this.#core.probesAdd(n, now);
      this.#views();
      if (rc < 0) {
        let at = 0;
        while (at < n && this.#i32[((at * ADD_STRIDE) >> 2) + 7]! >= 0) at++;
        throw new ProbeSchedulerError(`probes: add: spec ${start + at}: ${describeProbeError(rc)}`, rc);
      }
      for (let i = 0; i < n; i++) ids.push(this.#i32[((i * ADD_STRIDE) >> 2) + 7]! as ProbeId);
    }
    return ids;
  }

  remove(ids: readonly ProbeId[], now: number): void {
    const unknown: number[] = [];
    for (let start = 0; start < ids.length; start += 16384) {
      const n = Math.min(16384, ids.length - start);
      this.#views();
      for (let i = 0; i < n; i++) this.#i32[i] = ids[start + i]!;
      const rc = this.#core.probesRemove(n, now);
      if (rc < 0) throw new ProbeSchedulerError(`probes: remove: ${describeProbeError(rc)}`, rc);
      this.#views();
      for (let i = 0; i < n; i++) if (this.#i32[i]! < 0) unknown.push(ids[start + i]!);
    }
    if (unknown.length > 0) throw unknownIds("remove", unknown);
  }

  restart(restarts: readonly ProbeRestart[], now: number): void {
    const bad: number[] = [];
    let code = 0;
    for (let start = 0; start < restarts.length; start += 4096) {
      const n = Math.min(4096, restarts.length - start);
      this.#views();
      for (let i = 0; i < n; i++) {
        this.#i32[i * 4] = restarts[start + i]!.id;
        this.#f64[i * 2 + 1] = restarts[start + i]!.startedAt;
      }
      const rc = this.#core.probesRestart(n, now);
      if (rc < 0) throw new ProbeSchedulerError(`probes: restart: ${describeProbeError(rc)}`, rc);
      this.#views();
      for (let i = 0; i < n; i++) {
        const c = this.#i32[i * 4 + 1]!;
        if (c < 0) {
          bad.push(restarts[start + i]!.id);
          code = c;
        }
      }
    }
    if (bad.length > 0) throw restartError(bad, code);
  }

  due(now: number, ids: Int32Array, timeouts?: Int32Array): number {
    let got = 0;
    while (got < ids.length) {
      const want = Math.min(PROBE_IO_BATCH, ids.length - got);
      const k = this.#core.probesDue(now, want);
      if (k < 0) throw new ProbeSchedulerError(`probes: due: ${describeProbeError(k)}`, k);
      this.#views();
      copyOut(this.#i32, 0, ids, got, k);
      if (timeouts) copyOut(this.#i32, PROBE_IO_BATCH, timeouts, got, k);
      got += k;
      if (k < want) break;
    }
    return got;
  }

  report(n: number, ids: Int32Array, outcomes: Int32Array, now: number, transitions: Int32Array): number {
    let total = 0;
    for (let start = 0; start < n; start += PROBE_IO_BATCH) {
      const k = Math.min(PROBE_IO_BATCH, n - start);
      this.#views();
      copyOut(ids, start, this.#i32, 0, k);
      copyOut(outcomes, start, this.#i32, PROBE_IO_BATCH, k);
      const rc = this.#core.probesReport(k, now);
      if (rc < 0) throw new ProbeSchedulerError(`probes: report: ${describeProbeError(rc)}`, rc);
      this.#views();
      copyOut(this.#i32, PROBE_IO_BATCH, transitions, start, k);
      total += rc;
    }
    return total;
  }

  nextDue(): number {
    return this.#core.probesNextDue();
  }

  state(ids: readonly ProbeId[]): (ProbeState | undefined)[] {
    const out: (ProbeState | undefined)[] = [];
    for (let start = 0; start < ids.length; start += 4096) {
      const n = Math.min(4096, ids.length - start);
      this.#views();
      for (let i = 0; i < n; i++) this.#i32[i * 4] = ids[start + i]!;
      this.#core.probesQuery(n);
      this.#views();
      for (let i = 0; i < n; i++) {
        const w = this.#i32[i * 4]!;
        out.push(w < 0 ? undefined : decodeProbeState(w, this.#i32[i * 4 + 1]!, this.#f64[i * 2 + 1]!));
      }
    }
    return out;
  }
}

/** Copies k i32s; small batches by hand, since a subarray view costs more than the copy. */
function copyOut(from: Int32Array, at: number, to: Int32Array, toAt: number, k: number): void {
  if (k <= 32) {
    for (let i = 0; i < k; i++) to[toAt + i] = from[at + i]!;
  } else {
    to.set(from.subarray(at, at + k), toAt);
  }
}

/** The core's gate field for a spec: -1, an existing id, or -2-k for entry k of this batch. */
export function gateField(s: ProbeSpec, batchStart: number, earlierIds: readonly ProbeId[]): number {
  if (s.gatedByIndex !== undefined) {
    const k = s.gatedByIndex;
    if (!Number.isInteger(k) || k < 0) return -1000000;
    // An earlier batch's spec already has an id; the same batch's is named by its index.
    return k < batchStart ? (earlierIds[k] ?? -1000000) : -2 - (k - batchStart);
  }
  return s.gatedBy ?? -1;
}

/** The error remove() throws for ids it did not know (after removing the others). */
export function unknownIds(op: string, ids: readonly number[]): ProbeSchedulerError {
  return new ProbeSchedulerError(`probes: ${op}: ${describeProbeError(ProbeErrorCode.UnknownProbe)}: ids ${ids.join(", ")}`,
    ProbeErrorCode.UnknownProbe);
}

/** The error restart() throws for entries it could not apply (after applying the others). */
export function restartError(ids: readonly number[], code: number): ProbeSchedulerError {
  return new ProbeSchedulerError(`probes: restart: ${describeProbeError(code)}: ids ${ids.join(", ")}`, code);
}
