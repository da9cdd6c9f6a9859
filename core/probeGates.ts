// Scheduling a probe on its period grid, and startup gates: a startup probe's dependents
// (liveness, readiness) are parked off the timer until it succeeds.

import { rec, F_DUE, F_PERIOD, F_GATE, F_LINK, F_POS, F_BITS, B_PARKED } from "./probeTable";
import { heapPush, heapRemove } from "./probeHeap";
import { LIVENESS, READINESS, RES_SUCCESS, RES_FAILURE, RES_UNKNOWN } from "./probeCodes";

/** The probe's periodSeconds in ms. */
// @ts-ignore: decorator
@inline export function periodMs(r: usize): f64 {
  return <f64>load<i32>(r, F_PERIOD) * 1000.0;
}

/**
 * First tick of the period grid g + k*p at or after t, never before g: g is the probe's next
 * unconsumed tick (or its first one), and ticks before it were skipped or did not exist yet.
 */
// @ts-ignore: decorator
@inline export function gridAtOrAfter(g: f64, p: f64, t: f64): f64 {
  return t <= g ? g : g + Math.ceil((t - g) / p) * p;
}

/** A new or restarted probe's result: readiness Failure, liveness Success, startup Unknown. */
export function initialResult(kind: u32): u32 {
  if (kind == READINESS) return RES_FAILURE;
  return kind == LIVENESS ? RES_SUCCESS : RES_UNKNOWN;
}

/** Whether the probe has no startup gate or its gate has succeeded. */
export function gatePassed(r: usize): bool {
  const gate = load<i32>(r, F_GATE);
  if (gate < 0) return true;
  return ((<u32>load<u8>(rec(<u32>gate), F_BITS) >> 2) & 3) == RES_SUCCESS;
}

/** Writes the kind/result/flags byte. */
export function setBits(r: usize, b: u32): void {
  store<u8>(r, <u8>b, F_BITS);
}

/** Puts probe `id` on the timer at `due`, or parks it there while its startup gate is closed. */
export function schedule(id: u32, r: usize, due: f64): void {
  store<f64>(r, due, F_DUE);
  const b = <u32>load<u8>(r, F_BITS);
  if (!gatePassed(r)) {
    setBits(r, b | B_PARKED);
    return;
  }
  setBits(r, b & ~B_PARKED);
  heapPush(id, due);
}

/** Startup gate `gate` succeeded (or went away): parked dependents resume at their next tick. */
export function releaseDependents(gateRec: usize, now: f64, detach: bool): void {
  let d = load<i32>(gateRec, F_LINK);
  while (d >= 0) {
    const dr = rec(<u32>d);
    const nd = load<i32>(dr, F_LINK);
    if (detach) {
      store<i32>(dr, -1, F_GATE);
      store<i32>(dr, -1, F_LINK);
    }
    if ((<u32>load<u8>(dr, F_BITS) & B_PARKED) != 0) {
      schedule(<u32>d, dr, gridAtOrAfter(load<f64>(dr, F_DUE), periodMs(dr), now));
    }
    d = nd;
  }
  if (detach) store<i32>(gateRec, -1, F_LINK);
}

/** Startup gate restarted: dependents on the timer are parked until it succeeds again. */
export function closeGate(gateRec: usize): void {
  let d = load<i32>(gateRec, F_LINK);
  while (d >= 0) {
    const dr = rec(<u32>d);
    if (load<i32>(dr, F_POS) >= 0) {
      heapRemove(<u32>d);
      setBits(dr, <u32>load<u8>(dr, F_BITS) | B_PARKED);
    }
    d = load<i32>(dr, F_LINK);
  }
}

/** Takes probe `id` off the dependents list of startup probe `gate`. */
export function unlinkFromGate(gate: u32, id: i32): void {
  const gr = rec(gate);
  const after = load<i32>(rec(<u32>id), F_LINK);
  let cur = load<i32>(gr, F_LINK);
  if (cur == id) {
    store<i32>(gr, after, F_LINK);
    return;
  }
  while (cur >= 0) {
    const cr = rec(<u32>cur);
    const nxt = load<i32>(cr, F_LINK);
    if (nxt == id) {
      store<i32>(cr, after, F_LINK);
      return;
    }
    cur = nxt;
  }
}
