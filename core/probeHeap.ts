// The probe timer: a 4-ary min-heap of (due, id) pairs, ordered by due time then id, so that
// due() hands out probes in a defined order. Each probe record keeps its heap position (F_POS),
// which makes removal O(log n). Four children sit side by side in one or two cache lines, which
// halves the depth of a binary heap.

import { rec, slot, F_POS } from "./probeTable";

let size: u32 = 0;

/** Entries in the heap. */
export function heapSize(): u32 {
  return size;
}

/** Empties the heap (records' positions are the caller's to reset). */
export function heapClear(): void {
  size = 0;
}

// @ts-ignore: decorator
@inline function before(aDue: f64, aId: u32, bDue: f64, bId: u32): bool {
  return aDue < bDue || (aDue == bDue && aId < bId);
}

// @ts-ignore: decorator
@inline function put(i: u32, due: f64, id: u32): void {
  const s = slot(i);
  store<f64>(s, due, 0);
  store<u32>(s, id, 8);
  store<i32>(rec(id), <i32>i, F_POS);
}

function siftUp(i: u32, due: f64, id: u32): void {
  while (i > 0) {
    const p = (i - 1) >> 2;
    const ps = slot(p);
    const pDue = load<f64>(ps, 0);
    const pId = load<u32>(ps, 8);
    if (!before(due, id, pDue, pId)) break;
    put(i, pDue, pId);
    i = p;
  }
  put(i, due, id);
}

function siftDown(i: u32, due: f64, id: u32): void {
  const n = size;
  while (true) {
    const c = (i << 2) + 1;
    if (c >= n) break;
    let best = c;
    let cs = slot(c);
    let bDue = load<f64>(cs, 0);
    let bId = load<u32>(cs, 8);
    const end = min(c + 4, n);
    for (let k = c + 1; k < end; k++) {
      cs = slot(k);
      const kDue = load<f64>(cs, 0);
      const kId = load<u32>(cs, 8);
      if (before(kDue, kId, bDue, bId)) {
        best = k;
        bDue = kDue;
        bId = kId;
      }
    }
    if (!before(bDue, bId, due, id)) break;
    put(i, bDue, bId);
    i = best;
  }
  put(i, due, id);
}

/** Schedules probe `id` at `due`; the probe must not be in the heap. */
export function heapPush(id: u32, due: f64): void {
  const i = size++;
  siftUp(i, due, id);
}

/** Due time of the earliest entry, or +Infinity when empty. */
export function heapTopDue(): f64 {
  return size == 0 ? Infinity : load<f64>(slot(0), 0);
}

/** Removes and returns the earliest entry's id; the heap must not be empty. */
export function heapPop(): u32 {
  const top = load<u32>(slot(0), 8);
  store<i32>(rec(top), -1, F_POS);
  const last = --size;
  if (last > 0) {
    const ls = slot(last);
    siftDown(0, load<f64>(ls, 0), load<u32>(ls, 8));
  }
  return top;
}

/** Removes probe `id` from the heap if it is there. */
export function heapRemove(id: u32): void {
  const r = rec(id);
  const pos = load<i32>(r, F_POS);
  if (pos < 0) return;
  store<i32>(r, -1, F_POS);
  const i = <u32>pos;
  const last = --size;
  if (i == last) return;
  const ls = slot(last);
  const due = load<f64>(ls, 0);
  const lid = load<u32>(ls, 8);
  if (i > 0) {
    const ps = slot((i - 1) >> 2);
    if (before(due, lid, load<f64>(ps, 0), load<u32>(ps, 8))) {
      siftUp(i, due, lid);
      return;
    }
  }
  siftDown(i, due, lid);
}
