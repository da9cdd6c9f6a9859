// Entry point of core.wasm: the pure, deterministic kubelet core.
// Each module owns its exports and its shared buffers; see bindings/core/ABI.md.

/** ABI version of this core; bumped whenever an export or buffer layout changes. */
export function abiVersion(): i32 {
  return 1;
}
export * from "./quantity";
export * from "./probes";
export * from "./backoff";
export * from "./resources";
