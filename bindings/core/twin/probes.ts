/**
 * The pure-TypeScript twin of core/probes.ts: same ProbeScheduler contract, written the way one
 * would without Wasm (an object per probe, arrays for the timer heap). It is the test oracle of
 * the differential tests and the baseline of bench/core, not a second production path.
 */
import {
  PROBE_ADD_BATCH, ProbeErrorCode, ProbeKind, ProbeOutcome, ProbeResult, ProbeSchedulerError, ProbeTransition,
  describeProbeError, gateField, restartError, unknownIds,
  type ProbeId, type ProbeRestart, type ProbeScheduler, type ProbeSchedulerOptions, type ProbeSpec, type ProbeState,
} from "../probes.ts";

class ProbeRecord {
  due = 0;
  inFlight = false;
  onHold = false;
  parked = false;
  lastResult = 0;
  resultRun = 0;
  /** Probes gated by this startup probe. */
  dependents: ProbeRecord[] = [];
  constructor(
    readonly id: number,
    readonly kind: ProbeKind,
    readonly periodMs: number,
    readonly delaySeconds: number,
    readonly timeoutSeconds: number,
    readonly successThreshold: number,
    readonly failureThreshold: number,
    public gate: ProbeRecord | undefined,
    public result: ProbeResult,
  ) {}
}

function initialResult(kind: number): ProbeResult {
  if (kind === ProbeKind.Readiness) return ProbeResult.Failure;
  return kind === ProbeKind.Liveness ? ProbeResult.Success : ProbeResult.Unknown;
}

/** First tick of the grid g + k*p at or after t, never before g (same float operations as the core). */
function gridAtOrAfter(g: number, p: number, t: number): number {
  return t <= g ? g : g + Math.ceil((t - g) / p) * p;
}

interface RawSpec { kind: number; period: number; delay: number; timeout: number; succ: number; fail: number; gate: number; started: number }

/** ProbeScheduler in plain TypeScript. */
export class TwinProbeScheduler implements ProbeScheduler {
  readonly #records: (ProbeRecord | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #heap = new TimerHeap();
  readonly #kubeletStart: number;
  #rng: number;
  #size = 0;

  /** Same options as WasmProbeScheduler. */
  constructor(options: ProbeSchedulerOptions) {
    if (!Number.isFinite(options.kubeletStartedAt)) {
      throw new ProbeSchedulerError(`probes: init: ${describeProbeError(ProbeErrorCode.BadTime)}`, ProbeErrorCode.BadTime);
    }
    this.#rng = options.seed >>> 0 || 0x9e3779b9;
    this.#kubeletStart = options.kubeletStartedAt;
  }

  get size(): number {
    return this.#size;
  }

  #random(): number {
    let x = this.#rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#rng = x >>> 0;
    return this.#rng * (1 / 4294967296);
  }

  #active(id: number): ProbeRecord | undefined {
    // Ids cross the Wasm boundary as i32; coerce the same way.
    return this.#records[id | 0];
  }

  #gatePassed(r: ProbeRecord): boolean {
    return r.gate === undefined || r.gate.result === ProbeResult.Success;
  }

  #schedule(r: ProbeRecord, due: number): void {
    r.due = due;
    r.parked = !this.#gatePassed(r);
    if (!r.parked) this.#heap.push(r.id, due);
  }

  #validate(s: RawSpec, i: number, batch: readonly RawSpec[]): number {
    if (s.kind < 0 || s.kind > 2 || s.period < 1 || s.delay < 0 || s.timeout < 1) return ProbeErrorCode.InvalidSpec;
    if (s.succ < 1 || s.succ > 0xffff || s.fail < 1 || s.fail > 0xffff) return ProbeErrorCode.InvalidSpec;
    if (s.kind !== ProbeKind.Readiness && s.succ !== 1) return ProbeErrorCode.InvalidSpec;
    if (!Number.isFinite(s.started)) return ProbeErrorCode.BadTime;
    if (s.gate === -1) return 0;
    if (s.kind === ProbeKind.Startup) return ProbeErrorCode.BadGate;
    if (s.gate >= 0) return this.#active(s.gate)?.kind === ProbeKind.Startup ? 0 : ProbeErrorCode.BadGate;
    const k = -2 - s.gate;
    return k < i && batch[k]!.kind === ProbeKind.Startup ? 0 : ProbeErrorCode.BadGate;
  }

  add(specs: readonly ProbeSpec[], now: number): ProbeId[] {
    const ids: ProbeId[] = [];
    for (let start = 0; start < specs.length; start += PROBE_ADD_BATCH) {
      const batch = specs.slice(start, start + PROBE_ADD_BATCH).map((s): RawSpec => ({
        kind: s.kind | 0, period: s.periodSeconds | 0, delay: s.initialDelaySeconds | 0, timeout: s.timeoutSeconds | 0,
        succ: s.successThreshold | 0, fail: s.failureThreshold | 0, gate: gateField(s, start, ids) | 0, started: +s.containerStartedAt,
      }));
      const codes = batch.map((s, i) => this.#validate(s, i, batch));
      const at = codes.findIndex((c) => c < 0);
      if (at >= 0) throw new ProbeSchedulerError(`probes: add: spec ${start + at}: ${describeProbeError(codes[at]!)}`, codes[at]!);
      const batchIds: number[] = [];
      for (const s of batch) {
        const id = this.#free.length > 0 ? this.#free.pop()! : this.#records.length;
        const gate = s.gate === -1 ? undefined : this.#records[s.gate >= 0 ? s.gate : batchIds[-2 - s.gate]!];
        const r = new ProbeRecord(id, s.kind as ProbeKind, s.period * 1000, s.delay, s.timeout, s.succ, s.fail, gate, initialResult(s.kind));
        this.#records[id] = r;
        gate?.dependents.push(r);
        const p = r.periodMs;
        const anchor = p > now - this.#kubeletStart ? now + Math.floor(this.#random() * p) : now;
        this.#schedule(r, gridAtOrAfter(anchor, p, Math.max(anchor, s.started + s.delay * 1000)));
        this.#size++;
        batchIds.push(id);
        ids.push(id as ProbeId);
      }
    }
    return ids;
  }

  remove(ids: readonly ProbeId[], now: number): void {
    const unknown: number[] = [];
    for (const id of ids) {
      const r = this.#active(id);
      if (!r) {
        unknown.push(id);
        continue;
      }
      this.#heap.remove(r.id);
      if (r.gate) r.gate.dependents.splice(r.gate.dependents.indexOf(r), 1);
      for (const d of r.dependents) {
        d.gate = undefined;
        if (d.parked) this.#schedule(d, gridAtOrAfter(d.due, d.periodMs, now));
      }
      this.#records[r.id] = undefined;
      this.#free.push(r.id);
      this.#size--;
    }
    if (unknown.length > 0) throw unknownIds("remove", unknown);
  }

  restart(restarts: readonly ProbeRestart[], now: number): void {
    const bad: number[] = [];
    let code = 0;
    for (const { id, startedAt } of restarts) {
      const r = this.#active(id);
      const c = !r ? ProbeErrorCode.UnknownProbe : Number.isFinite(startedAt) ? 0 : ProbeErrorCode.BadTime;
      if (!r || c < 0) {
        bad.push(id);
        code = c;
        continue;
      }
      this.#heap.remove(r.id);
      r.result = initialResult(r.kind);
      r.onHold = r.inFlight = r.parked = false;
      r.lastResult = r.resultRun = 0;
      if (r.kind === ProbeKind.Startup) {
        for (const d of r.dependents) {
          if (this.#heap.remove(d.id)) d.parked = true;
        }
      }
      const target = Math.max(now, startedAt + r.delaySeconds * 1000);
      this.#schedule(r, gridAtOrAfter(r.due, r.periodMs, target));
    }
    if (bad.length > 0) throw restartError(bad, code);
  }

  due(now: number, ids: Int32Array, timeouts?: Int32Array): number {
    let k = 0;
    while (k < ids.length && this.#heap.size > 0 && this.#heap.topDue() <= now) {
      const r = this.#records[this.#heap.pop()]!;
      r.inFlight = true;
      ids[k] = r.id;
      if (timeouts) timeouts[k] = r.timeoutSeconds;
      k++;
    }
    return k;
  }

  #reportOne(id: number, outcome: number, now: number): number {
    const r = this.#active(id);
    if (!r) return ProbeErrorCode.UnknownProbe;
    if (!(outcome >= 0 && outcome <= ProbeOutcome.Error)) return ProbeErrorCode.BadOutcome;
    if (!r.inFlight) return ProbeErrorCode.NotAwaitingResult;
    r.inFlight = false;
    let t: number = ProbeTransition.None;
    if (outcome !== ProbeOutcome.Error) {
      const res = outcome === ProbeOutcome.Success ? ProbeResult.Success : ProbeResult.Failure;
      if (r.lastResult === res) {
        if (r.resultRun < 0xffff) r.resultRun++;
      } else {
        r.lastResult = res;
        r.resultRun = 1;
      }
      if (r.resultRun >= (res === ProbeResult.Success ? r.successThreshold : r.failureThreshold)) {
        if (r.result !== res) {
          r.result = res;
          t = transition(r.kind, res);
        }
        if (r.kind !== ProbeKind.Readiness && res === ProbeResult.Failure) {
          r.onHold = true;
          r.resultRun = 0;
        }
      }
    }
    if (r.onHold) return t;
    if (r.kind === ProbeKind.Startup && r.result === ProbeResult.Success) {
      if (t === ProbeTransition.StartupSucceeded) {
        for (const d of r.dependents) {
          if (d.parked) this.#schedule(d, gridAtOrAfter(d.due, d.periodMs, now));
        }
      }
      return t;
    }
    const g = r.due;
    let next = g + r.periodMs;
    if (next <= now) next = g + Math.floor((now - g) / r.periodMs) * r.periodMs;
    this.#schedule(r, next);
    return t;
  }

  report(n: number, ids: Int32Array, outcomes: Int32Array, now: number, transitions: Int32Array): number {
    let count = 0;
    for (let i = 0; i < n; i++) {
      const t = this.#reportOne(ids[i]!, outcomes[i]!, now);
      transitions[i] = t;
      if (t > 0) count++;
    }
    return count;
  }

  nextDue(): number {
    return this.#heap.size > 0 ? this.#heap.topDue() : Infinity;
  }

  state(ids: readonly ProbeId[]): (ProbeState | undefined)[] {
    return ids.map((id) => {
      const r = this.#active(id);
      if (!r) return undefined;
      return {
        kind: r.kind, result: r.result, onHold: r.onHold, inFlight: r.inFlight, parked: r.parked,
        scheduled: this.#heap.has(r.id), lastResult: r.lastResult, resultRun: r.resultRun, due: r.due,
      };
    });
  }
}

/** A 4-ary min-heap of (due, id), ordered by due then id, with each id's position for removal. */
class TimerHeap {
  readonly #due: number[] = [];
  readonly #ids: number[] = [];
  readonly #pos: number[] = [];

  get size(): number {
    return this.#ids.length;
  }

  has(id: number): boolean {
    return (this.#pos[id] ?? -1) >= 0;
  }

  topDue(): number {
    return this.#due[0]!;
  }

  push(id: number, due: number): void {
    this.#due.push(due);
    this.#ids.push(id);
    this.#up(this.#ids.length - 1, due, id);
  }

  pop(): number {
    const top = this.#ids[0]!;
    this.#pos[top] = -1;
    const due = this.#due.pop()!;
    const id = this.#ids.pop()!;
    if (this.#ids.length > 0) this.#down(0, due, id);
    return top;
  }

  /** Removes id if scheduled; says whether it was. */
  remove(id: number): boolean {
    const i = this.#pos[id] ?? -1;
    if (i < 0) return false;
    this.#pos[id] = -1;
    const due = this.#due.pop()!;
    const last = this.#ids.pop()!;
    if (i === this.#ids.length) return true;
    if (i > 0) {
      const p = (i - 1) >> 2;
      if (before(due, last, this.#due[p]!, this.#ids[p]!)) {
        this.#up(i, due, last);
        return true;
      }
    }
    this.#down(i, due, last);
    return true;
  }

  #put(i: number, due: number, id: number): void {
    this.#due[i] = due;
    this.#ids[i] = id;
    this.#pos[id] = i;
  }

  #up(i: number, due: number, id: number): void {
    while (i > 0) {
      const p = (i - 1) >> 2;
      if (!before(due, id, this.#due[p]!, this.#ids[p]!)) break;
      this.#put(i, this.#due[p]!, this.#ids[p]!);
      i = p;
    }
    this.#put(i, due, id);
  }

  #down(i: number, due: number, id: number): void {
    const n = this.#ids.length;
    for (;;) {
      const c = 4 * i + 1;
      if (c >= n) break;
      let best = c;
      const end = Math.min(c + 4, n);
      for (let k = c + 1; k < end; k++) {
        if (before(this.#due[k]!, this.#ids[k]!, this.#due[best]!, this.#ids[best]!)) best = k;
      }
      if (!before(this.#due[best]!, this.#ids[best]!, due, id)) break;
      this.#put(i, this.#due[best]!, this.#ids[best]!);
      i = best;
    }
    this.#put(i, due, id);
  }
}

function before(aDue: number, aId: number, bDue: number, bId: number): boolean {
  return aDue < bDue || (aDue === bDue && aId < bId);
}

function transition(kind: ProbeKind, res: ProbeResult): number {
  if (kind === ProbeKind.Readiness) return res === ProbeResult.Success ? ProbeTransition.BecameReady : ProbeTransition.BecameUnready;
  if (kind === ProbeKind.Startup) return res === ProbeResult.Success ? ProbeTransition.StartupSucceeded : ProbeTransition.StartupFailed;
  return res === ProbeResult.Failure ? ProbeTransition.LivenessFailed : ProbeTransition.None;
}
