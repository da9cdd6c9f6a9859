/**
 * The keyed exponential back-off the kubelet uses for CrashLoopBackOff and image pulls
 * (upstream flowcontrol.Backoff), implemented by the Wasm core: see bindings/core/backoff.ts.
 */
export type { KeyedBackoff as Backoff } from "../bindings/core/backoff.ts";
