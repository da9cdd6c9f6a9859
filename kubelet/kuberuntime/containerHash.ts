/**
 * The hash of a container's spec that the kubelet stamps on each container it creates
 * (annotation io.kubernetes.container.hash). When the spec's hash no longer matches the running
 * container's, the kubelet restarts the container (upstream HashContainer: FNV-32a over the JSON).
 */
import type { Container } from "../../bindings/kube/types.ts";

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

/** FNV-1a 32-bit of `bytes`, as an unsigned integer. */
export function fnv1a32(bytes: Uint8Array): number {
  let h = FNV32_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV32_PRIME);
  }
  return h >>> 0;
}

/**
 * JSON with keys sorted at every level and empty members (null, undefined, "", [] and {}) left
 * out, so specs that mean the same (a missing list vs an empty one) serialise the same, as Go's
 * `omitempty` makes them upstream. `false` and `0` are kept: for pointer fields such as
 * `runAsUser: 0` or `allowPrivilegeEscalation: false` they differ from "unset".
 */
export function canonicalSpecJson(value: unknown): string {
  return JSON.stringify(prune(value)) ?? "null";
}

function prune(value: unknown): unknown {
  if (value === null || value === undefined || value === "") return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    // Elements keep their positions; an empty element still counts as one.
    return value.map((v) => prune(v) ?? null);
  }
  if (typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = prune((value as Record<string, unknown>)[key]);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The spec hash of `container`, lower-case hex without padding (upstream's strconv.FormatUint(h, 16)). */
export function hashContainer(container: Container): string {
  return fnv1a32(new TextEncoder().encode(canonicalSpecJson(container))).toString(16);
}
