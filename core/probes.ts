// Probe scheduling: when each liveness/readiness/startup probe is due, and what its results mean.
// Pure and deterministic: time is an argument (ms), jitter comes from a seeded PRNG. Batches cross
// the boundary through one shared buffer; layouts, codes and semantics: bindings/core/ABI.md.

import {
  tableEnsure, tableBytes, rec,
  F_DUE, F_PERIOD, F_DELAY, F_TIMEOUT, F_GATE, F_LINK, F_POS, F_SUCC, F_FAIL, F_RUN, F_LAST, F_BITS,
  B_ACTIVE, B_ONHOLD, B_INFLIGHT, B_PARKED,
} from "./probeTable";
import { heapPop, heapRemove, heapTopDue, heapClear, heapSize } from "./probeHeap";
import { periodMs, gridAtOrAfter, initialResult, setBits, schedule, releaseDependents, closeGate, unlinkFromGate } from "./probeGates";
import { reportOne } from "./probeReport";
import {
  READINESS, STARTUP, ERR_COUNT, ERR_UNKNOWN_ID, ERR_INVALID_SPEC, ERR_BAD_GATE, ERR_NO_MEMORY, ERR_BAD_TIME,
} from "./probeCodes";

const BUF_BYTES: i32 = 65536;
const ADD_STRIDE: i32 = 40;
const ADD_CAP: i32 = BUF_BYTES / ADD_STRIDE;
const DUE_CAP: i32 = BUF_BYTES / 8;
const REPORT_CAP: i32 = BUF_BYTES / 8;
const RESTART_CAP: i32 = BUF_BYTES / 16;
const REMOVE_CAP: i32 = BUF_BYTES / 4;
const QUERY_CAP: i32 = BUF_BYTES / 16;

let buf: usize = 0;
let active: u32 = 0;
let nextId: u32 = 0;
let freeHead: i32 = -1;
let freeCount: u32 = 0;
let rng: u32 = 0x9e3779b9;
let kubeletStart: f64 = 0;

function ensureBuf(): void {
  if (buf == 0) buf = heap.alloc(<usize>BUF_BYTES);
}

// xorshift32: reproducible jitter from the seed given to probesInit.
function nextRandom(): f64 {
  let x = rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng = x;
  return <f64>x * (1.0 / 4294967296.0);
}

function isActive(id: i32): bool {
  return id >= 0 && <u32>id < nextId && (<u32>load<u8>(rec(<u32>id), F_BITS) & B_ACTIVE) != 0;
}

/** Pointer to the shared batch buffer (probesBufferBytes() bytes); layouts per call in ABI.md. */
export function probesBuffer(): usize {
  ensureBuf();
  return buf;
}

/** Size of the shared batch buffer in bytes. */
export function probesBufferBytes(): i32 {
  return BUF_BYTES;
}

/** Empties the probe table; `seed` drives first-run jitter, `kubeletStartMs` is when the kubelet started. */
export function probesInit(seed: u32, kubeletStartMs: f64): i32 {
  if (!isFinite(kubeletStartMs)) return ERR_BAD_TIME;
  ensureBuf();
  active = 0;
  nextId = 0;
  freeHead = -1;
  freeCount = 0;
  heapClear();
  rng = seed != 0 ? seed : 0x9e3779b9;
  kubeletStart = kubeletStartMs;
  return 0;
}

function validateAdd(e: usize, i: i32): i32 {
  const kind = load<i32>(e, 0);
  const period = load<i32>(e, 4);
  const delay = load<i32>(e, 8);
  const timeout = load<i32>(e, 12);
  const succ = load<i32>(e, 16);
  const fail = load<i32>(e, 20);
  const gate = load<i32>(e, 24);
  if (kind < 0 || kind > 2 || period < 1 || delay < 0 || timeout < 1) return ERR_INVALID_SPEC;
  if (succ < 1 || succ > 0xffff || fail < 1 || fail > 0xffff) return ERR_INVALID_SPEC;
  if (<u32>kind != READINESS && succ != 1) return ERR_INVALID_SPEC;
  if (!isFinite(load<f64>(e, 32))) return ERR_BAD_TIME;
  if (gate == -1) return 0;
  if (<u32>kind == STARTUP) return ERR_BAD_GATE;
  if (gate >= 0) {
    if (!isActive(gate) || (<u32>load<u8>(rec(<u32>gate), F_BITS) & 3) != STARTUP) return ERR_BAD_GATE;
    return 0;
  }
  const k = -2 - gate;
  if (k >= i || <u32>load<i32>(buf + <usize>k * ADD_STRIDE, 0) != STARTUP) return ERR_BAD_GATE;
  return 0;
}

/**
 * Adds n probes described in the buffer (stride 40); writes each new id at entry offset 28.
 * All or nothing: on any invalid entry nothing is added, each entry's offset 28 holds 0 or its
 * error, and the first error is returned. Returns n on success.
 */
export function probesAdd(n: i32, now: f64): i32 {
  ensureBuf();
  if (n < 0 || n > ADD_CAP) return ERR_COUNT;
  if (!isFinite(now)) return ERR_BAD_TIME;
  let first: i32 = 0;
  for (let i = 0; i < n; i++) {
    const e = buf + <usize>i * ADD_STRIDE;
    const code = validateAdd(e, i);
    store<i32>(e, code, 28);
    if (code < 0 && first == 0) first = code;
  }
  if (first < 0) return first;
  const fresh = <u32>n > freeCount ? <u32>n - freeCount : 0;
  if (!tableEnsure(nextId + fresh)) return ERR_NO_MEMORY;
  for (let i = 0; i < n; i++) {
    const e = buf + <usize>i * ADD_STRIDE;
    let id: u32;
    if (freeHead >= 0) {
      id = <u32>freeHead;
      freeHead = load<i32>(rec(id), F_LINK);
      freeCount--;
    } else {
      id = nextId++;
    }
    store<i32>(e, <i32>id, 28);
    const kind = <u32>load<i32>(e, 0);
    let gate = load<i32>(e, 24);
    if (gate <= -2) gate = load<i32>(buf + <usize>(-2 - gate) * ADD_STRIDE, 28);
    const r = rec(id);
    store<i32>(r, load<i32>(e, 4), F_PERIOD);
    store<i32>(r, load<i32>(e, 8), F_DELAY);
    store<i32>(r, load<i32>(e, 12), F_TIMEOUT);
    store<u16>(r, <u16>load<i32>(e, 16), F_SUCC);
    store<u16>(r, <u16>load<i32>(e, 20), F_FAIL);
    store<u16>(r, 0, F_RUN);
    store<u8>(r, 0, F_LAST);
    store<i32>(r, gate, F_GATE);
    store<i32>(r, -1, F_LINK);
    store<i32>(r, -1, F_POS);
    setBits(r, kind | (initialResult(kind) << 2) | B_ACTIVE);
    if (gate >= 0) {
      const gr = rec(<u32>gate);
      store<i32>(r, load<i32>(gr, F_LINK), F_LINK);
      store<i32>(gr, <i32>id, F_LINK);
    }
    const p = periodMs(r);
    // Upstream staggers first runs by a random part of the period only while the kubelet is young.
    const anchor = p > now - kubeletStart ? now + Math.floor(nextRandom() * p) : now;
    const eligible = load<f64>(e, 32) + <f64>load<i32>(e, 8) * 1000.0;
    schedule(id, r, gridAtOrAfter(anchor, p, max(anchor, eligible)));
    active++;
  }
  return n;
}

/** Removes the probes whose ids are in the buffer (i32 each); each entry becomes 0 or an error. */
export function probesRemove(n: i32, now: f64): i32 {
  ensureBuf();
  if (n < 0 || n > REMOVE_CAP) return ERR_COUNT;
  if (!isFinite(now)) return ERR_BAD_TIME;
  let removed: i32 = 0;
  for (let i = 0; i < n; i++) {
    const e = buf + (<usize>i << 2);
    const id = load<i32>(e);
    if (!isActive(id)) {
      store<i32>(e, ERR_UNKNOWN_ID);
      continue;
    }
    const r = rec(<u32>id);
    heapRemove(<u32>id);
    const gate = load<i32>(r, F_GATE);
    if (gate >= 0) unlinkFromGate(<u32>gate, id);
    if ((<u32>load<u8>(r, F_BITS) & 3) == STARTUP) releaseDependents(r, now, true);
    setBits(r, 0);
    store<i32>(r, freeHead, F_LINK);
    freeHead = id;
    freeCount++;
    active--;
    store<i32>(e, 0);
    removed++;
  }
  return removed;
}

/**
 * The containers of these probes restarted (entries: id i32, status i32 out, startedAt f64):
 * results return to their initial values, holds lift, and probing resumes after initialDelay.
 */
export function probesRestart(n: i32, now: f64): i32 {
  ensureBuf();
  if (n < 0 || n > RESTART_CAP) return ERR_COUNT;
  if (!isFinite(now)) return ERR_BAD_TIME;
  let done: i32 = 0;
  for (let i = 0; i < n; i++) {
    const e = buf + (<usize>i << 4);
    const id = load<i32>(e, 0);
    const started = load<f64>(e, 8);
    if (!isActive(id)) {
      store<i32>(e, ERR_UNKNOWN_ID, 4);
      continue;
    }
    if (!isFinite(started)) {
      store<i32>(e, ERR_BAD_TIME, 4);
      continue;
    }
    const r = rec(<u32>id);
    heapRemove(<u32>id);
    const kind = <u32>load<u8>(r, F_BITS) & 3;
    setBits(r, kind | (initialResult(kind) << 2) | B_ACTIVE);
    store<u16>(r, 0, F_RUN);
    store<u8>(r, 0, F_LAST);
    if (kind == STARTUP) closeGate(r);
    const p = periodMs(r);
    const target = max(now, started + <f64>load<i32>(r, F_DELAY) * 1000.0);
    schedule(<u32>id, r, gridAtOrAfter(load<f64>(r, F_DUE), p, target));
    store<i32>(e, 0, 4);
    done++;
  }
  return done;
}

/**
 * Writes the ids of probes due at `now` (at most `max`, at most 8192) to buffer[0..), their
 * timeoutSeconds to buffer[32768..), in (due, id) order; they are in flight until reported.
 */
export function probesDue(now: f64, max: i32): i32 {
  ensureBuf();
  if (max < 0) return ERR_COUNT;
  if (isNaN(now)) return ERR_BAD_TIME;
  const lim = min(max, DUE_CAP);
  const tout = buf + (<usize>DUE_CAP << 2);
  let k: i32 = 0;
  while (k < lim && heapSize() > 0 && heapTopDue() <= now) {
    const id = heapPop();
    const r = rec(id);
    setBits(r, <u32>load<u8>(r, F_BITS) | B_INFLIGHT);
    store<i32>(buf + (<usize>k << 2), <i32>id);
    store<i32>(tout + (<usize>k << 2), load<i32>(r, F_TIMEOUT));
    k++;
  }
  return k;
}

/**
 * Applies n results: ids at buffer[0..), outcomes (i32) at buffer[32768..), replaced in place by
 * transition codes (or errors). Returns how many entries carry a transition.
 */
export function probesReport(n: i32, now: f64): i32 {
  ensureBuf();
  if (n < 0 || n > REPORT_CAP) return ERR_COUNT;
  if (!isFinite(now)) return ERR_BAD_TIME;
  const codes = buf + (<usize>REPORT_CAP << 2);
  let transitions: i32 = 0;
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    const id = load<i32>(buf + at);
    const t = isActive(id) ? reportOne(id, load<i32>(codes + at), now) : ERR_UNKNOWN_ID;
    store<i32>(codes + at, t);
    if (t > 0) transitions++;
  }
  return transitions;
}

/**
 * Reads probe state (entries: id i32 in / state word out, resultRun i32 out, due f64 out).
 * State word bits: 0-1 result, 2 onHold, 3 inFlight, 4 parked, 5 scheduled, 6-7 kind, 8-9 last result.
 */
export function probesQuery(n: i32): i32 {
  ensureBuf();
  if (n < 0 || n > QUERY_CAP) return ERR_COUNT;
  for (let i = 0; i < n; i++) {
    const e = buf + (<usize>i << 4);
    const id = load<i32>(e, 0);
    if (!isActive(id)) {
      store<i32>(e, ERR_UNKNOWN_ID, 0);
      continue;
    }
    const r = rec(<u32>id);
    const b = <u32>load<u8>(r, F_BITS);
    let w = (b >> 2) & 3;
    if ((b & B_ONHOLD) != 0) w |= 4;
    if ((b & B_INFLIGHT) != 0) w |= 8;
    if ((b & B_PARKED) != 0) w |= 16;
    if (load<i32>(r, F_POS) >= 0) w |= 32;
    w |= (b & 3) << 6;
    w |= <u32>load<u8>(r, F_LAST) << 8;
    store<i32>(e, <i32>w, 0);
    store<i32>(e, <i32>load<u16>(r, F_RUN), 4);
    store<f64>(e, load<f64>(r, F_DUE), 8);
  }
  return n;
}

/** Earliest due time among scheduled probes (arm one host timer for it), or +Infinity. */
export function probesNextDue(): f64 {
  return heapTopDue();
}

/** Number of probes in the table. */
export function probesCount(): i32 {
  return <i32>active;
}

/** Bytes of linear memory the probe table holds (chunks, directory, batch buffer). */
export function probesBytes(): f64 {
  return <f64>tableBytes() + <f64>BUF_BYTES;
}
