// Codes of the probe ABI (bindings/core/ABI.md, "Probe scheduling"), shared by the probe modules.

/** Kind: liveness probe (failure restarts the container). */
export const LIVENESS: u32 = 0;
/** Kind: readiness probe (decides whether the container serves traffic). */
export const READINESS: u32 = 1;
/** Kind: startup probe (gates the other two until it succeeds). */
export const STARTUP: u32 = 2;

/** Outcome: the probe succeeded (2, timeout, counts as failure like 1). */
export const OUT_SUCCESS: i32 = 0;
/** Outcome: the probe could not run; the result is discarded. */
export const OUT_ERROR: i32 = 3;

/** Published result: not known yet (startup probes before their first verdict). */
export const RES_UNKNOWN: u32 = 0;
/** Published result: success. */
export const RES_SUCCESS: u32 = 1;
/** Published result: failure. */
export const RES_FAILURE: u32 = 2;

/** Transition: nothing changed. */
export const T_NONE: i32 = 0;
/** Transition: readiness became success. */
export const T_READY: i32 = 1;
/** Transition: readiness became failure. */
export const T_UNREADY: i32 = 2;
/** Transition: liveness failed; the kubelet kills the container. */
export const T_LIVENESS_FAILED: i32 = 3;
/** Transition: the startup probe succeeded; its gated probes start. */
export const T_STARTUP_SUCCEEDED: i32 = 4;
/** Transition: the startup probe failed; the kubelet kills the container. */
export const T_STARTUP_FAILED: i32 = 5;

/** Error: batch size out of range. */
export const ERR_COUNT: i32 = -1;
/** Error: no probe with that id. */
export const ERR_UNKNOWN_ID: i32 = -2;
/** Error: a spec field is out of range. */
export const ERR_INVALID_SPEC: i32 = -3;
/** Error: the probe was not handed out by due(), or was restarted/removed since. */
export const ERR_NOT_AWAITING: i32 = -4;
/** Error: the gate is not an existing startup probe, or a startup probe was gated. */
export const ERR_BAD_GATE: i32 = -5;
/** Error: the outcome is not 0-3. */
export const ERR_BAD_RESULT: i32 = -6;
/** Error: linear memory cannot grow. */
export const ERR_NO_MEMORY: i32 = -7;
/** Error: a time is not a finite number. */
export const ERR_BAD_TIME: i32 = -8;
