// What a reported outcome means: consecutive-result thresholds, transitions, holds, and when the
// probe runs next (upstream prober worker.doProbe).

import { rec, F_DUE, F_SUCC, F_FAIL, F_RUN, F_LAST, F_BITS, B_ONHOLD, B_INFLIGHT } from "./probeTable";
import { periodMs, setBits, schedule, releaseDependents } from "./probeGates";
import {
  READINESS, STARTUP, OUT_SUCCESS, OUT_ERROR, RES_SUCCESS, RES_FAILURE,
  T_NONE, T_READY, T_UNREADY, T_LIVENESS_FAILED, T_STARTUP_SUCCEEDED, T_STARTUP_FAILED,
  ERR_NOT_AWAITING, ERR_BAD_RESULT,
} from "./probeCodes";

function transitionFor(kind: u32, res: u32): i32 {
  if (kind == READINESS) return res == RES_SUCCESS ? T_READY : T_UNREADY;
  if (kind == STARTUP) return res == RES_SUCCESS ? T_STARTUP_SUCCEEDED : T_STARTUP_FAILED;
  return res == RES_FAILURE ? T_LIVENESS_FAILED : T_NONE;
}

/** Applies one outcome to active probe `id`; returns its transition or an error. */
export function reportOne(id: i32, outcome: i32, now: f64): i32 {
  if (outcome < 0 || outcome > OUT_ERROR) return ERR_BAD_RESULT;
  const r = rec(<u32>id);
  let b = <u32>load<u8>(r, F_BITS);
  if ((b & B_INFLIGHT) == 0) return ERR_NOT_AWAITING;
  b &= ~B_INFLIGHT;
  const kind = b & 3;
  let t = T_NONE;
  // An error means the probe could not run; upstream discards such a result.
  if (outcome != OUT_ERROR) {
    const res: u32 = outcome == OUT_SUCCESS ? RES_SUCCESS : RES_FAILURE;
    let run = <u32>load<u16>(r, F_RUN);
    if (<u32>load<u8>(r, F_LAST) == res) {
      if (run < 0xffff) run++;
    } else {
      store<u8>(r, <u8>res, F_LAST);
      run = 1;
    }
    const threshold = res == RES_SUCCESS ? <u32>load<u16>(r, F_SUCC) : <u32>load<u16>(r, F_FAIL);
    if (run >= threshold) {
      if (((b >> 2) & 3) != res) {
        b = (b & ~(<u32>3 << 2)) | (res << 2);
        t = transitionFor(kind, res);
      }
      if (kind != READINESS && res == RES_FAILURE) {
        b |= B_ONHOLD;
        run = 0;
      }
    }
    store<u16>(r, <u16>run, F_RUN);
  }
  setBits(r, b);
  if ((b & B_ONHOLD) != 0) return t;
  if (kind == STARTUP && ((b >> 2) & 3) == RES_SUCCESS) {
    if (t == T_STARTUP_SUCCEEDED) releaseDependents(r, now, false);
    return t;
  }
  // Like a Go ticker: the next tick of the period grid; a tick missed while the probe ran fires at once.
  const p = periodMs(r);
  const g = load<f64>(r, F_DUE);
  let next = g + p;
  if (next <= now) next = g + Math.floor((now - g) / p) * p;
  schedule(<u32>id, r, next);
  return t;
}
