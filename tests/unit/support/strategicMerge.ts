/**
 * A small strategic-merge-patch applier covering what the node status patch uses (maps, lists
 * merged by `type` with `$patch: delete`, `$patch: replace` lists, null deletes), to check that a
 * computed patch turns the original object into the updated one.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Applies `patch` to a copy of `target`. `mergeByType` names the list fields merged by their `type`. */
export function applyStrategicMerge(target: unknown, patch: unknown, mergeByType = new Set(["conditions"])): unknown {
  if (!isObj(patch) || !isObj(target)) return structuredClone(patch);
  const out: Obj = structuredClone(target);
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$setElementOrder/")) continue;
    if (v === null) delete out[k];
    else if (Array.isArray(v) && isObj(v[0]) && v[0].$patch === "replace") out[k] = structuredClone(v.slice(1));
    else if (Array.isArray(v) && mergeByType.has(k)) {
      const list = ((out[k] as Obj[] | undefined) ?? []).map((x) => structuredClone(x));
      for (const item of v as Obj[]) {
        const i = list.findIndex((x) => x.type === item.type);
        if (item.$patch === "delete") {
          if (i >= 0) list.splice(i, 1);
        } else if (i >= 0) list[i] = applyStrategicMerge(list[i], item) as Obj;
        else list.push(structuredClone(item));
      }
      const order = (patch[`$setElementOrder/${k}`] as Obj[] | undefined)?.map((x) => x.type);
      if (order) list.sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
      out[k] = list;
    } else if (isObj(v) && isObj(out[k])) out[k] = applyStrategicMerge(out[k], v, mergeByType);
    else out[k] = structuredClone(v);
  }
  return out;
}
