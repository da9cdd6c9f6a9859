// The probe table's memory layout: chunks of 1024 probes; each chunk holds the 1024 probe
// records (array of structs: one probe's fields share a cache line, and every operation on a
// probe touches most of them) followed by 1024 timer-heap slots (heap position i lives in chunk
// i >> 10; a heap never holds more entries than there are probe ids).

import { ChunkDir } from "./probeArena";

/** log2 of the probes per chunk. */
export const CHUNK_SHIFT: u32 = 10;
/** Probes (and heap slots) per chunk. */
export const CHUNK: u32 = 1 << CHUNK_SHIFT;
const MASK: u32 = CHUNK - 1;

/** Bytes per probe record. */
export const REC: usize = 40;
/** Bytes per heap slot: due time (f64) then probe id (i32). */
export const SLOT: usize = 12;
const CHUNK_BYTES: usize = <usize>CHUNK * (REC + SLOT);
const SLOTS_AT: usize = <usize>CHUNK * REC;

// Record field offsets.
/** f64: next due time (ms); while idle or in flight, the last grid point of the probe's period. */
export const F_DUE: usize = 0;
/** i32: periodSeconds. */
export const F_PERIOD: usize = 8;
/** i32: initialDelaySeconds. */
export const F_DELAY: usize = 12;
/** i32: timeoutSeconds. */
export const F_TIMEOUT: usize = 16;
/** i32: id of the startup probe that gates this probe, or -1. */
export const F_GATE: usize = 20;
/** i32: startup probe: first gated probe; gated probe: next one behind the same gate; free: next free id. */
export const F_LINK: usize = 24;
/** i32: position in the timer heap, or -1 when not scheduled. */
export const F_POS: usize = 28;
/** u16: successThreshold. */
export const F_SUCC: usize = 32;
/** u16: failureThreshold. */
export const F_FAIL: usize = 34;
/** u16: consecutive results equal to the last one (resultRun), saturating. */
export const F_RUN: usize = 36;
/** u8: last raw result: 0 none, 1 success, 2 failure. */
export const F_LAST: usize = 38;
/** u8: kind (bits 0-1), published result (bits 2-3) and the B_* flags. */
export const F_BITS: usize = 39;

/** Flag: the id is in use. */
export const B_ACTIVE: u32 = 1 << 4;
/** Flag: liveness/startup failed; not probed until the container restarts. */
export const B_ONHOLD: u32 = 1 << 5;
/** Flag: handed out by due(), result not yet reported. */
export const B_INFLIGHT: u32 = 1 << 6;
/** Flag: waiting for its startup gate to succeed. */
export const B_PARKED: u32 = 1 << 7;

const dir = new ChunkDir();
let dirPtr: usize = 0;

/** Number of ids the table can hold now. */
export function tableCapacity(): u32 {
  return dir.chunks << CHUNK_SHIFT;
}

/** Makes room for ids below `n`; false when memory is exhausted. */
export function tableEnsure(n: u32): bool {
  while (tableCapacity() < n) {
    if (!dir.addChunk(CHUNK_BYTES)) return false;
    dirPtr = dir.dirPtr;
  }
  return true;
}

/** Bytes held by the table (chunks and directory). */
export function tableBytes(): usize {
  return <usize>dir.chunks * CHUNK_BYTES + (<usize>dir.dirCap << alignof<usize>());
}

// @ts-ignore: decorator
@inline export function rec(id: u32): usize {
  return load<usize>(dirPtr + ((<usize>(id >> CHUNK_SHIFT)) << alignof<usize>())) + <usize>(id & MASK) * REC;
}

// @ts-ignore: decorator
@inline export function slot(i: u32): usize {
  return load<usize>(dirPtr + ((<usize>(i >> CHUNK_SHIFT)) << alignof<usize>())) + SLOTS_AT + <usize>(i & MASK) * SLOT;
}
