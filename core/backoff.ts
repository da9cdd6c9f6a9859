// Restart backoff: keyed exponential backoff, as upstream's flowcontrol.Backoff drives
// CrashLoopBackOff (table 0) and image pull backoff (table 1). Pure: every call takes the time.
// Keys are small non-negative integers chosen by the host (the binding maps names to them).
// Layouts, codes and semantics: bindings/core/ABI.md.

import { ChunkDir } from "./probeArena";

const BUF_BYTES: i32 = 65536;
const ENTRY_CAP: i32 = BUF_BYTES / 16;
const GC_CAP: i32 = BUF_BYTES / 4;
const CHUNK_SHIFT: u32 = 10;
const CHUNK: u32 = 1 << CHUNK_SHIFT;
const ENTRY: usize = 16;
const CHUNK_BYTES: usize = <usize>CHUNK * ENTRY;
const MAX_KEY: i32 = 1 << 24;
const TABLES: i32 = 2;
// kubelet: backOffPeriod 10 s, MaxContainerBackOff 300 s, for both container restarts and image pulls.
const DEFAULT_INITIAL_MS: f64 = 10000;
const DEFAULT_MAX_MS: f64 = 300000;

const ERR_COUNT: i32 = -1;
const ERR_TABLE: i32 = -2;
const ERR_KEY: i32 = -3;
const ERR_BAD_TIME: i32 = -4;
const ERR_CONFIG: i32 = -5;
const ERR_NO_MEMORY: i32 = -7;

/** One keyed backoff: entries of (backoff ms, last update ms); backoff 0 marks a free key. */
class Table {
  dir: ChunkDir = new ChunkDir();
  initial: f64 = DEFAULT_INITIAL_MS;
  max: f64 = DEFAULT_MAX_MS;
  live: u32 = 0;

  capacity(): i32 {
    return <i32>(this.dir.chunks << CHUNK_SHIFT);
  }

  /** Address of key's entry; the key must be below capacity(). */
  entry(key: i32): usize {
    const k = <u32>key;
    return load<usize>(this.dir.dirPtr + ((<usize>(k >> CHUNK_SHIFT)) << alignof<usize>())) + <usize>(k & (CHUNK - 1)) * ENTRY;
  }

  ensure(key: i32): bool {
    while (this.capacity() <= key) {
      if (!this.dir.addChunk(CHUNK_BYTES)) return false;
    }
    return true;
  }

  clear(): void {
    for (let c: u32 = 0; c < this.dir.chunks; c++) {
      memory.fill(load<usize>(this.dir.dirPtr + ((<usize>c) << alignof<usize>())), 0, CHUNK_BYTES);
    }
    this.live = 0;
  }
}

const tables = new StaticArray<Table>(TABLES);
for (let t = 0; t < TABLES; t++) tables[t] = new Table();
let buf: usize = 0;

function ensureBuf(): void {
  if (buf == 0) buf = heap.alloc(<usize>BUF_BYTES);
}

// @ts-ignore: decorator
@inline function expired(eventTime: f64, lastUpdate: f64, max: f64): bool {
  return eventTime - lastUpdate > max * 2;
}

let code: i32 = 0;

/** Checks a batch call's arguments; returns the table or null with `code` set. */
function batchTable(table: i32, n: i32, now: f64): Table | null {
  ensureBuf();
  if (table < 0 || table >= TABLES) {
    code = ERR_TABLE;
    return null;
  }
  if (n < 0 || n > ENTRY_CAP) {
    code = ERR_COUNT;
    return null;
  }
  if (!isFinite(now)) {
    code = ERR_BAD_TIME;
    return null;
  }
  return tables[table];
}

/** Pointer to the shared batch buffer (backoffBufferBytes() bytes); layout in ABI.md. */
export function backoffBuffer(): usize {
  ensureBuf();
  return buf;
}

/** Size of the backoff batch buffer in bytes. */
export function backoffBufferBytes(): i32 {
  return BUF_BYTES;
}

/** Forgets every key of both tables and restores the default 10 s initial / 300 s max. */
export function backoffInit(): i32 {
  ensureBuf();
  for (let t = 0; t < TABLES; t++) {
    const tb = tables[t];
    tb.clear();
    tb.initial = DEFAULT_INITIAL_MS;
    tb.max = DEFAULT_MAX_MS;
  }
  return 0;
}

/** Sets a table's initial and maximum backoff (ms) and forgets its keys. */
export function backoffConfigure(table: i32, initialMs: f64, maxMs: f64): i32 {
  if (table < 0 || table >= TABLES) return ERR_TABLE;
  if (!isFinite(initialMs) || !isFinite(maxMs) || initialMs <= 0 || maxMs < initialMs) return ERR_CONFIG;
  const tb = tables[table];
  tb.clear();
  tb.initial = initialMs;
  tb.max = maxMs;
  return 0;
}

/**
 * One entry of a batch; `op` 0 next, 1 inBackoffSince, 2 inBackoffSinceUpdate, 4 get, 5 reset.
 * The key (in) and status (out) live at `kp`, the event time (in) and backoff (out) at `tp`.
 */
function apply(tb: Table, op: i32, kp: usize, tp: usize, now: f64): i32 {
  const key = load<i32>(kp);
  const eventTime = load<f64>(tp);
  let status: i32 = 0;
  if (key < 0 || key >= MAX_KEY) {
    status = ERR_KEY;
  } else if (op <= 2 && !isFinite(eventTime)) {
    status = ERR_BAD_TIME;
  } else {
    let p: usize = 0;
    let backoff: f64 = 0;
    let last: f64 = 0;
    if (key < tb.capacity()) {
      p = tb.entry(key);
      backoff = load<f64>(p, 0);
      last = load<f64>(p, 8);
    }
    const present = backoff > 0;
    if (op == 0) {
      if (p == 0) {
        if (!tb.ensure(key)) {
          store<i32>(kp, ERR_NO_MEMORY);
          return ERR_NO_MEMORY;
        }
        p = tb.entry(key);
      }
      if (!present) tb.live++;
      // A fresh or expired entry starts at the initial backoff, otherwise it doubles up to max.
      backoff = !present || expired(eventTime, last, tb.max) ? tb.initial : min(backoff * 2, tb.max);
      store<f64>(p, backoff, 0);
      store<f64>(p, now, 8);
    } else if (op == 1 || op == 2) {
      if (present && !expired(eventTime, last, tb.max)) {
        status = (op == 2 ? eventTime - last < backoff : now - eventTime < backoff) ? 1 : 0;
      }
    } else {
      status = present ? 1 : 0;
      if (op == 5 && present) {
        store<f64>(p, 0, 0);
        tb.live--;
        backoff = 0;
      }
    }
    store<f64>(tp, backoff);
  }
  store<i32>(kp, status);
  return status;
}

/** Runs `op` over n entries; returns how many got status 1, or the first per-entry error. */
function batch(table: i32, n: i32, now: f64, op: i32): i32 {
  const tb = batchTable(table, n, now);
  if (tb == null) return code;
  let ones: i32 = 0;
  let err: i32 = 0;
  for (let i = 0; i < n; i++) {
    const e = buf + (<usize>i << 4);
    const status = apply(tb, op, e, e + 8, now);
    if (status == 1) ones++;
    else if (status < 0 && err == 0) err = status;
  }
  return err < 0 ? err : ones;
}

/** Next (entries: key, eventTime): moves each key's backoff to its next step; out: 0, new backoff. */
export function backoffNext(table: i32, n: i32, now: f64): i32 {
  return batch(table, n, now, 0);
}

/** IsInBackOffSince (entries: key, eventTime): out 1/0 and the current backoff (ms). */
export function backoffInBackoffSince(table: i32, n: i32, now: f64): i32 {
  return batch(table, n, now, 1);
}

/** IsInBackOffSinceUpdate (entries: key, eventTime): out 1/0 and the current backoff (ms). */
export function backoffInBackoffSinceUpdate(table: i32, n: i32, now: f64): i32 {
  return batch(table, n, now, 2);
}

/**
 * The CrashLoopBackOff decision (key, container finishedAt): status 1 and the backoff while still
 * in backoff, else Next is applied and the entry gets 0 and the new backoff. Returns how many are
 * in backoff, or the first per-entry error. The hot path: table fields held in locals.
 */
export function backoffDecide(table: i32, n: i32, now: f64): i32 {
  const tb = batchTable(table, n, now);
  if (tb == null) return code;
  const initial = tb.initial;
  const max = tb.max;
  let cap = tb.capacity();
  let dirPtr = tb.dir.dirPtr;
  let inBackoff: i32 = 0;
  let err: i32 = 0;
  for (let i = 0; i < n; i++) {
    const kp = buf + (<usize>i << 4);
    const tp = kp + 8;
    const key = load<i32>(kp);
    const finishedAt = load<f64>(tp);
    let status: i32 = 0;
    if (key < 0 || key >= MAX_KEY) status = ERR_KEY;
    else if (!isFinite(finishedAt)) status = ERR_BAD_TIME;
    else if (key >= cap) {
      if (!tb.ensure(key)) status = ERR_NO_MEMORY;
      cap = tb.capacity();
      dirPtr = tb.dir.dirPtr;
    }
    if (status < 0) {
      store<i32>(kp, status);
      if (err == 0) err = status;
      continue;
    }
    const k = <u32>key;
    const p = load<usize>(dirPtr + ((<usize>(k >> CHUNK_SHIFT)) << alignof<usize>())) + <usize>(k & (CHUNK - 1)) * ENTRY;
    let backoff = load<f64>(p, 0);
    const fresh = backoff <= 0 || expired(finishedAt, load<f64>(p, 8), max);
    if (!fresh && now - finishedAt < backoff) {
      store<i32>(kp, 1);
      store<f64>(tp, backoff);
      inBackoff++;
      continue;
    }
    if (backoff <= 0) tb.live++;
    backoff = fresh ? initial : min(backoff * 2, max);
    store<f64>(p, backoff, 0);
    store<f64>(p, now, 8);
    store<i32>(kp, 0);
    store<f64>(tp, backoff);
  }
  return err < 0 ? err : inBackoff;
}

/** Get (entries: key): out 1/0 whether the key is known, and its backoff (ms, 0 if unknown). */
export function backoffGet(table: i32, n: i32): i32 {
  return batch(table, n, 0, 4);
}

/** Reset (entries: key): forgets the keys; out 1 if the key was known, else 0. */
export function backoffReset(table: i32, n: i32): i32 {
  return batch(table, n, 0, 5);
}

/**
 * GC: forgets keys not updated for more than 2 x max, writing at most `max` of them (i32) to the
 * buffer (16384 at most); call again while it returns a full buffer.
 */
export function backoffGc(table: i32, now: f64, max: i32): i32 {
  const tb = batchTable(table, 0, now);
  if (tb == null) return code;
  if (max < 0) return ERR_COUNT;
  const lim = min(max, GC_CAP);
  const cap = tb.capacity();
  let k: i32 = 0;
  for (let key = 0; key < cap && k < lim; key++) {
    const p = tb.entry(key);
    if (load<f64>(p, 0) > 0 && now - load<f64>(p, 8) > tb.max * 2) {
      store<f64>(p, 0, 0);
      tb.live--;
      store<i32>(buf + (<usize>k << 2), key);
      k++;
    }
  }
  return k;
}

/** Number of keys a table currently knows. */
export function backoffCount(table: i32): i32 {
  if (table < 0 || table >= TABLES) return ERR_TABLE;
  return <i32>tables[table].live;
}
