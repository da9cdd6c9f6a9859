/**
 * Deciding whether a node status update is worth sending, and the patch to send (upstream
 * nodeStatusHasChanged and PatchNodeStatus): a two-way strategic merge patch of the Node's metadata
 * labels/annotations and status, sent to `nodes/<name>/status`, never touching the spec.
 */
import type { Node, NodeCondition, NodeStatus } from "../../bindings/kube/node.ts";

type Json = unknown;

/** Deep equality of JSON values where a missing key, undefined and null are the same. */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as Json[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

const withoutHeartbeat = (cs: NodeCondition[] | undefined) =>
  [...(cs ?? [])].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0)).map((c) => ({ ...c, lastHeartbeatTime: undefined }));

/** True when the status differs in anything but the conditions' heartbeat times. */
export function nodeStatusHasChanged(original: NodeStatus | undefined, current: NodeStatus | undefined): boolean {
  if (!original || !current) return original !== current;
  if (!jsonEqual(withoutHeartbeat(original.conditions), withoutHeartbeat(current.conditions))) return true;
  return !jsonEqual({ ...original, conditions: undefined }, { ...current, conditions: undefined });
}

/** Keys changed in a map: new values, and null for removed keys (merge semantics). */
function mapPatch(a: Record<string, Json> | undefined, b: Record<string, Json> | undefined): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  for (const k of new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})])) {
    const nv = b?.[k];
    if (nv === undefined) {
      if (a?.[k] !== undefined) out[k] = null;
    } else if (!jsonEqual(a?.[k], nv)) {
      out[k] = nv;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Conditions merge by `type`: changed or new entries, deletions, and the element order. */
function conditionsPatch(patch: Record<string, Json>, a: NodeCondition[] | undefined, b: NodeCondition[] | undefined): void {
  const before = new Map((a ?? []).map((c) => [c.type, c]));
  const after = new Map((b ?? []).map((c) => [c.type, c]));
  const items: Json[] = [];
  for (const c of b ?? []) if (!jsonEqual(before.get(c.type), c)) items.push(c);
  for (const t of before.keys()) if (!after.has(t)) items.push({ type: t, $patch: "delete" });
  if (items.length === 0) return;
  patch["$setElementOrder/conditions"] = (b ?? []).map((c) => ({ type: c.type }));
  patch.conditions = items;
}

/**
 * A strategic merge patch turning `original` into `updated` for the `status` subresource (labels and
 * annotations in metadata, everything in status), or undefined when there is nothing to send.
 * Addresses are replaced whole (upstream works around their wrong merge key the same way).
 */
export function nodeStatusPatch(original: Node, updated: Node): Record<string, Json> | undefined {
  const patch: Record<string, Json> = {};
  const meta: Record<string, Json> = {};
  const labels = mapPatch(original.metadata.labels, updated.metadata.labels);
  const annotations = mapPatch(original.metadata.annotations, updated.metadata.annotations);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  if (Object.keys(meta).length > 0) patch.metadata = meta;

  const a = (original.status ?? {}) as Record<string, Json>;
  const b = (updated.status ?? {}) as Record<string, Json>;
  const status: Record<string, Json> = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (jsonEqual(a[key], b[key])) continue;
    if (key === "conditions") conditionsPatch(status, a.conditions as NodeCondition[], b.conditions as NodeCondition[]);
    else if (key === "capacity" || key === "allocatable" || key === "nodeInfo") status[key] = mapPatch(a[key] as Record<string, Json>, b[key] as Record<string, Json>) ?? null;
    else if (key === "addresses" && Array.isArray(b[key])) status[key] = [{ $patch: "replace" }, ...(b[key] as Json[])];
    else status[key] = b[key] ?? null;
  }
  if (Object.keys(status).length > 0) patch.status = status;
  return Object.keys(patch).length > 0 ? patch : undefined;
}
