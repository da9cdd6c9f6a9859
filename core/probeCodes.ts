// Codes of the probe ABI (bindings/core/ABI.md, "Probe scheduling"), shared by the probe modules.

/** Probe kinds. */
export const LIVENESS: u32 = 0;
export const READINESS: u32 = 1;
export const STARTUP: u32 = 2;

/** Outcomes the host reports (2, timeout, counts as failure). */
export const OUT_SUCCESS: i32 = 0;
export const OUT_ERROR: i32 = 3;

/** Published results (upstream results.Result). */
export const RES_UNKNOWN: u32 = 0;
export const RES_SUCCESS: u32 = 1;
export const RES_FAILURE: u32 = 2;

/** Transitions written by probesReport. */
export const T_NONE: i32 = 0;
export const T_READY: i32 = 1;
export const T_UNREADY: i32 = 2;
export const T_LIVENESS_FAILED: i32 = 3;
export const T_STARTUP_SUCCEEDED: i32 = 4;
export const T_STARTUP_FAILED: i32 = 5;

/** Errors (negative, per call or per entry). */
export const ERR_COUNT: i32 = -1;
export const ERR_UNKNOWN_ID: i32 = -2;
export const ERR_INVALID_SPEC: i32 = -3;
export const ERR_NOT_AWAITING: i32 = -4;
export const ERR_BAD_GATE: i32 = -5;
export const ERR_BAD_RESULT: i32 = -6;
export const ERR_NO_MEMORY: i32 = -7;
export const ERR_BAD_TIME: i32 = -8;
