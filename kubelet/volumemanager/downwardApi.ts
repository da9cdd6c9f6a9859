/**
 * Downward API volume files (upstream downwardapi.CollectData and fieldpath.ExtractFieldPathAsString):
 * pod metadata fields (whole label/annotation maps as sorted `key="value"` lines) and container
 * resource values in units of a divisor.
 */
import type { DownwardAPIVolumeFile, Pod } from "../../bindings/kube/types.ts";
import { joinPath } from "../config/posixPath.ts";
import type { FileProjection } from "./atomicWriter.ts";
import { aggregateErrors, DEFAULT_FILE_MODE, type PayloadResult } from "./payloads.ts";

/**
 * A container's resource request or limit (`limits.cpu`, `requests.memory`, ...) in units of
 * `divisor`, as upstream's ExtractContainerResourceValue prints it (limits default to allocatable).
 */
export type ResourceValueFn = (pod: Pod, containerName: string, resource: string, divisor: string) => string | { error: string };

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;
const SHORT_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\" };

/** Go's strconv.Quote (`%q`): printable characters kept, the rest escaped as Go escapes them. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) out += "\\ufffd";
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, "0")}`;
    else out += `\\U${cp.toString(16).padStart(8, "0")}`;
  }
  return out + '"';
}

/** A label or annotation map as upstream's fieldpath.FormatMap: `key="value"` lines in key order. */
export function formatMap(m: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(m ?? {}).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => `${k}=${goQuote(m![k]!)}`).join("\n");
}

/** The value of a downward API `fieldPath` for volumes (metadata fields only, as upstream). */
export function fieldPathValue(pod: Pod, fieldPath: string): string | { error: string } {
  const sub = /^(.*)\['(.*)'\]$/s.exec(fieldPath);
  if (sub) {
    const [, path, key] = sub;
    if (path === "metadata.annotations") return pod.metadata.annotations?.[key!] ?? "";
    if (path === "metadata.labels") return pod.metadata.labels?.[key!] ?? "";
    return { error: `fieldPath ${JSON.stringify(fieldPath)} does not support subscript` };
  }
  switch (fieldPath) {
    case "metadata.annotations": return formatMap(pod.metadata.annotations);
    case "metadata.labels": return formatMap(pod.metadata.labels);
    case "metadata.name": return pod.metadata.name ?? "";
    case "metadata.namespace": return pod.metadata.namespace ?? "";
    case "metadata.uid": return pod.metadata.uid ?? "";
  }
  return { error: `unsupported fieldPath: ${fieldPath}` };
}

/**
 * The files of a downwardAPI volume (or projection). A file whose value cannot be computed fails
 * the whole volume, with every such error aggregated as upstream does.
 */
export function downwardApiPayload(
  items: readonly DownwardAPIVolumeFile[] | undefined, pod: Pod, defaultMode: number | undefined, resourceValue?: ResourceValueFn,
): PayloadResult {
  const payload = new Map<string, FileProjection>();
  const errors: string[] = [];
  for (const item of items ?? []) {
    let data = "";
    if (item.fieldRef) {
      const v = fieldPathValue(pod, item.fieldRef.fieldPath);
      if (typeof v === "string") data = v;
      else errors.push(v.error);
    } else if (item.resourceFieldRef) {
      const ref = item.resourceFieldRef;
      const divisor = ref.divisor === undefined || String(ref.divisor) === "0" || String(ref.divisor) === "" ? "1" : String(ref.divisor);
      const v = resourceValue
        ? resourceValue(pod, ref.containerName ?? "", ref.resource, divisor)
        : { error: `cannot compute ${ref.resource}: resource values are not available on this kubelet` };
      if (typeof v === "string") data = v;
      else errors.push(v.error);
    }
    payload.set(joinPath(item.path), { data, mode: item.mode ?? defaultMode ?? DEFAULT_FILE_MODE });
  }
  const error = aggregateErrors(errors);
  return error ? { error } : { payload };
}
