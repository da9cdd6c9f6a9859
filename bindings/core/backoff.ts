/**
 * Restart backoff over core.wasm: the KeyedBackoff contract (shared with the pure-TS twin in
 * ./twin/backoff.ts) and WasmKeyedBackoff. Keys are strings here (upstream: pod name + namespace
 * + uid + container name + spec hash for restarts, pod uid + image for pulls); the binding maps
 * them to the small integers the core indexes by. ABI.md, "Restart backoff", has the layouts.
 */
import type { CoreExports } from "./load.ts";

/** The core's two backoff tables: CrashLoopBackOff for container restarts, and image pulls. */
export const BackoffTable = { ContainerRestart: 0, ImagePull: 1 } as const;
/** One of BackoffTable's values. */
export type BackoffTable = (typeof BackoffTable)[keyof typeof BackoffTable];

/** Upstream kubelet's backOffPeriod: the first backoff (ms). */
export const DEFAULT_INITIAL_BACKOFF_MS = 10_000;
/** Upstream kubelet's MaxContainerBackOff: the cap (ms); entries quiet for 2x this are forgotten. */
export const DEFAULT_MAX_BACKOFF_MS = 300_000;

/** Negative codes the core returns. */
export const BackoffErrorCode = { BadCount: -1, BadTable: -2, BadKey: -3, BadTime: -4, BadConfig: -5, OutOfMemory: -7 } as const;

/** Entries per round trip through the shared buffer. */
export const BACKOFF_IO_BATCH = 4096;

/** A KeyedBackoff call the core rejected; `code` is a BackoffErrorCode. */
export class BackoffError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "BackoffError";
  }
}

const reasons: Record<number, string> = {
  [-1]: "batch size out of range",
  [-2]: "no such backoff table (0 container restart, 1 image pull)",
  [-3]: "too many live keys (the core holds at most 16,777,216 per table)",
  [-4]: "times must be finite numbers of milliseconds",
  [-5]: "initialMs must be > 0 and maxMs >= initialMs, both finite",
  [-7]: "core.wasm is out of memory",
};

/** Says what a BackoffErrorCode means. */
export function describeBackoffError(code: number): string {
  return reasons[code] ?? `unknown error code ${code}`;
}

/** Throws BackoffError(BadTime) unless the times are finite; both implementations check first. */
export function checkBackoffTimes(op: string, a: number, b = 0): void {
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    throw new BackoffError(`backoff: ${op}: ${describeBackoffError(BackoffErrorCode.BadTime)}`, BackoffErrorCode.BadTime);
  }
}

/** Throws BackoffError(BadTime) unless the first n event times and now are finite. */
export function checkBackoffBatch(n: number, eventTimes: Float64Array, now: number): void {
  let ok = Number.isFinite(now);
  for (let i = 0; ok && i < n; i++) ok = Number.isFinite(eventTimes[i]!);
  if (!ok) checkBackoffTimes("decide", NaN);
}

/** Construction options: which table, and its initial and maximum backoff (ms). */
export interface BackoffOptions {
  table: BackoffTable;
  initialMs?: number;
  maxMs?: number;
}

/**
 * Keyed exponential backoff with upstream flowcontrol.Backoff semantics: next() starts a key at
 * initialMs and doubles it up to maxMs; a key whose last update is more than 2 x maxMs before the
 * event time starts over; gc() forgets keys quiet for more than 2 x maxMs. Pure: times are arguments.
 */
export interface KeyedBackoff {
  /** Keys currently remembered. */
  readonly size: number;
  /** Next(key, eventTime) with lastUpdate = now; returns the key's new backoff (ms). */
  next(key: string, eventTime: number, now: number): number;
  /** IsInBackOffSince: is `now - eventTime` still inside the key's backoff window? */
  inBackoffSince(key: string, eventTime: number, now: number): boolean;
  /** IsInBackOffSinceUpdate (image pulls): is `eventTime - lastUpdate` inside the backoff window? */
  inBackoffSinceUpdate(key: string, eventTime: number): boolean;
  /** Get: the key's current backoff (ms), 0 if unknown. */
  get(key: string): number;
  /** Reset: forgets the key. */
  reset(key: string): void;
  /** GC: forgets keys not updated for more than 2 x maxMs; returns them, sorted. */
  gc(now: number): string[];
  /**
   * The CrashLoopBackOff decision for n containers (kuberuntime doBackOff): for each key and the
   * finish time of its last exited container, inBackoff[i] = 1 and backoffMs[i] = the current
   * backoff while still in backoff; otherwise Next is applied, inBackoff[i] = 0 and backoffMs[i]
   * is the new backoff. Returns how many are in backoff.
   */
  decide(n: number, keys: readonly string[], eventTimes: Float64Array, now: number,
    inBackoff: Uint8Array, backoffMs: Float64Array): number;
}

interface BackoffExports {
  memory: WebAssembly.Memory;
  backoffBuffer(): number;
  backoffConfigure(table: number, initialMs: number, maxMs: number): number;
  backoffNext(table: number, n: number, now: number): number;
  backoffInBackoffSince(table: number, n: number, now: number): number;
  backoffInBackoffSinceUpdate(table: number, n: number, now: number): number;
  backoffDecide(table: number, n: number, now: number): number;
  backoffGet(table: number, n: number): number;
  backoffReset(table: number, n: number): number;
  backoffGc(table: number, now: number, max: number): number;
  backoffCount(table: number): number;
}

/** KeyedBackoff backed by one of core.wasm's backoff tables. */
export class WasmKeyedBackoff implements KeyedBackoff {
  readonly #core: BackoffExports;
  readonly #table: number;
  readonly #ids = new Map<string, number>();
  readonly #keys: (string | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #ptr: number;
  #i32 = new Int32Array(0);
  #f64 = new Float64Array(0);

  /** Takes the exports from instantiateCore(); configures (and empties) the chosen table. */
  constructor(core: CoreExports, options: BackoffOptions) {
    this.#core = core as unknown as BackoffExports;
    this.#table = options.table;
    const rc = this.#core.backoffConfigure(options.table, options.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      options.maxMs ?? DEFAULT_MAX_BACKOFF_MS);
    if (rc < 0) throw new BackoffError(`backoff: configure: ${describeBackoffError(rc)}`, rc);
    this.#ptr = this.#core.backoffBuffer();
  }

  /** Views of the shared buffer, re-created after memory grew (growth detaches the old ones). */
  #views(): void {
    if (this.#i32.length !== 0) return;
    // Wasm memory is never shared here; Deno types .buffer as ArrayBuffer | SharedArrayBuffer.
    const b = this.#core.memory.buffer as ArrayBuffer;
    // Entries of 16 bytes: key/status (i32) at +0, time/backoff (f64) at +8; gc() writes keys (i32).
    this.#i32 = new Int32Array(b, this.#ptr, BACKOFF_IO_BATCH * 4);
    this.#f64 = new Float64Array(b, this.#ptr, BACKOFF_IO_BATCH * 2);
  }

  #idFor(key: string): number {
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#free.length > 0 ? this.#free.pop()! : this.#keys.length;
      this.#ids.set(key, id);
      this.#keys[id] = key;
    }
    return id;
  }

  #forget(id: number): void {
    this.#ids.delete(this.#keys[id]!);
    this.#keys[id] = undefined;
    this.#free.push(id);
  }

  /** One entry through the core: returns [status, f64 out]. */
  #one(call: (table: number, n: number, now: number) => number, id: number, time: number, now: number): [number, number] {
    this.#views();
    this.#i32[0] = id;
    this.#f64[1] = time;
    const rc = call.call(this.#core, this.#table, 1, now);
    if (rc < 0) throw new BackoffError(`backoff: ${describeBackoffError(rc)}`, rc);
    this.#views();
    return [this.#i32[0]!, this.#f64[1]!];
  }

  get size(): number {
    return this.#core.backoffCount(this.#table);
  }

  next(key: string, eventTime: number, now: number): number {
    checkBackoffTimes("next", eventTime, now);
    return this.#one(this.#core.backoffNext, this.#idFor(key), eventTime, now)[1];
  }

  inBackoffSince(key: string, eventTime: number, now: number): boolean {
    checkBackoffTimes("inBackoffSince", eventTime, now);
    const id = this.#ids.get(key);
    if (id === undefined) return false;
    return this.#one(this.#core.backoffInBackoffSince, id, eventTime, now)[0] === 1;
  }

  inBackoffSinceUpdate(key: string, eventTime: number): boolean {
    checkBackoffTimes("inBackoffSinceUpdate", eventTime);
    const id = this.#ids.get(key);
    if (id === undefined) return false;
    return this.#one(this.#core.backoffInBackoffSinceUpdate, id, eventTime, eventTime)[0] === 1;
  }

  get(key: string): number {
    const id = this.#ids.get(key);
    return id === undefined ? 0 : this.#one(this.#core.backoffGet, id, 0, 0)[1];
  }

  reset(key: string): void {
    const id = this.#ids.get(key);
    if (id === undefined) return;
    this.#one(this.#core.backoffReset, id, 0, 0);
    this.#forget(id);
  }

  gc(now: number): string[] {
    checkBackoffTimes("gc", now);
    const gone: string[] = [];
    for (;;) {
      const k = this.#core.backoffGc(this.#table, now, BACKOFF_IO_BATCH * 4);
      if (k < 0) throw new BackoffError(`backoff: gc: ${describeBackoffError(k)}`, k);
      this.#views();
      for (let i = 0; i < k; i++) {
        const id = this.#i32[i]!;
        gone.push(this.#keys[id]!);
        this.#forget(id);
      }
      if (k < BACKOFF_IO_BATCH * 4) break;
    }
    return gone.sort();
  }

  decide(n: number, keys: readonly string[], eventTimes: Float64Array, now: number,
    inBackoff: Uint8Array, backoffMs: Float64Array): number {
    checkBackoffBatch(n, eventTimes, now);
    const ids = this.#ids;
    let count = 0;
    for (let start = 0; start < n; start += BACKOFF_IO_BATCH) {
      const k = Math.min(BACKOFF_IO_BATCH, n - start);
      this.#views();
      const i32 = this.#i32;
      const f64 = this.#f64;
      for (let i = 0; i < k; i++) {
        const key = keys[start + i]!;
        i32[i << 2] = ids.get(key) ?? this.#idFor(key);
        f64[(i << 1) + 1] = eventTimes[start + i]!;
      }
      const rc = this.#core.backoffDecide(this.#table, k, now);
      this.#views();
      if (rc < 0) throw new BackoffError(`backoff: decide: ${describeBackoffError(rc)}`, rc);
      const status = this.#i32;
      const out = this.#f64;
      for (let i = 0; i < k; i++) {
        inBackoff[start + i] = status[i << 2]!;
        backoffMs[start + i] = out[(i << 1) + 1]!;
      }
      count += rc;
    }
    return count;
  }
}
