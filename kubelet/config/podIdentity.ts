/**
 * The identity upstream gives a pod read from a manifest file (`pkg/kubelet/config/common.go`):
 * name suffixed with the node name, namespace defaulted, UID an MD5 of host + file + content, the
 * config annotations, spec.nodeName and the NoExecute toleration static pods carry.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import { canonicalJson } from "./canonicalJson.ts";
import { md5Hex } from "./md5.ts";

/** The hash of the pod's source config; equals the UID for file pods. */
export const CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash";
/** When the kubelet first saw this pod (RFC 3339). */
export const CONFIG_SEEN_ANNOTATION = "kubernetes.io/config.seen";
/** Which source the pod came from: "file", "http" or "api". */
export const CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source";
/** The value of the source annotation for manifest files. */
export const FILE_SOURCE = "file";

/** The name a static pod runs under: `<name>-<lowercased node name>`, unique across nodes. */
export function staticPodName(name: string, nodeName: string): string {
  return `${name}-${nodeName.toLowerCase()}`;
}

/**
 * The UID of a pod read from file `file` on `nodeName`: hex MD5 over "host:<node>", "file:<path>"
 * and the pod's canonical JSON. Same node, path and content give the same UID across restarts;
 * any content change gives a new UID, so the kubelet replaces the pod.
 */
export function staticPodUID(pod: Pod, nodeName: string, file: string): string {
  return md5Hex(`host:${nodeName}file:${file}${canonicalJson(pod)}`);
}

/** RFC 3339 time with fractional seconds, trailing zeros trimmed as Go's RFC3339Nano does. */
export function formatSeenTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0*Z$/, "Z");
}

/**
 * A copy of the (already defaulted) `pod` from `file` with its static pod identity. A UID written
 * in the manifest is kept, as upstream does.
 */
export function withStaticPodIdentity(pod: Pod, nodeName: string, file: string): Pod {
  const uid = pod.metadata.uid || staticPodUID(pod, nodeName, file);
  const out = structuredClone(pod);
  out.metadata.uid = uid;
  out.metadata.name = staticPodName(pod.metadata.name ?? "", nodeName);
  if (!out.metadata.namespace) out.metadata.namespace = "default";
  out.metadata.annotations = { ...out.metadata.annotations, [CONFIG_HASH_ANNOTATION]: uid, [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE };
  out.spec.nodeName = nodeName;
  // Static pods tolerate every NoExecute taint so node problems never evict them.
  const tolerations = (out.spec.tolerations ?? []) as Record<string, unknown>[];
  if (!tolerations.some((t) => t.operator === "Exists" && t.effect === "NoExecute" && !t.key)) {
    out.spec.tolerations = [...tolerations, { operator: "Exists", effect: "NoExecute" }];
  }
  out.status = { ...out.status, phase: "Pending" };
  return out;
}

/** A copy of `pod` annotated with the time the kubelet first saw it. */
export function withFirstSeen(pod: Pod, seenMs: number): Pod {
  return { ...pod, metadata: { ...pod.metadata, annotations: { ...pod.metadata.annotations, [CONFIG_SEEN_ANNOTATION]: formatSeenTime(seenMs) } } };
}
