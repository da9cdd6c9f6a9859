/**
 * The labels and annotations the kubelet puts on the sandboxes and containers it creates, and the
 * decoders that read them back, so that after a restart it recognises its own objects and knows
 * each container's spec hash, restart count and termination settings (upstream kuberuntime/labels.go).
 * Everything kubelet-ts creates also carries MANAGED_LABEL, so it never adopts objects made by an
 * upstream kubelet sharing the same containerd.
 */
import type { Container, ContainerPort, Handler, Pod } from "../../bindings/kube/types.ts";
import { hashContainer } from "./containerHash.ts";

/** Marks a CRI object as created by kubelet-ts. */
export const MANAGED_LABEL = "io.kubelet-ts.managed";
export const MANAGED_VALUE = "true";

export const POD_NAME_LABEL = "io.kubernetes.pod.name";
export const POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace";
export const POD_UID_LABEL = "io.kubernetes.pod.uid";
export const CONTAINER_NAME_LABEL = "io.kubernetes.container.name";

export const POD_DELETION_GRACE_PERIOD_ANNOTATION = "io.kubernetes.pod.deletionGracePeriod";
export const POD_TERMINATION_GRACE_PERIOD_ANNOTATION = "io.kubernetes.pod.terminationGracePeriod";
export const CONTAINER_HASH_ANNOTATION = "io.kubernetes.container.hash";
export const CONTAINER_RESTART_COUNT_ANNOTATION = "io.kubernetes.container.restartCount";
export const CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION = "io.kubernetes.container.terminationMessagePath";
export const CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION = "io.kubernetes.container.terminationMessagePolicy";
export const CONTAINER_PRESTOP_HANDLER_ANNOTATION = "io.kubernetes.container.preStopHandler";
export const CONTAINER_PORTS_ANNOTATION = "io.kubernetes.container.ports";

/** Where a container writes its termination message unless its spec says otherwise (API default). */
export const DEFAULT_TERMINATION_MESSAGE_PATH = "/dev/termination-log";

type Labels = Readonly<Record<string, string>>;

/** Labels of a pod's sandbox: the pod's own labels, its identity, and the kubelet-ts marker. */
export function newPodLabels(pod: Pod): Record<string, string> {
  return {
    ...pod.metadata.labels,
    [POD_NAME_LABEL]: pod.metadata.name ?? "",
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace ?? "",
    [POD_UID_LABEL]: pod.metadata.uid ?? "",
    [MANAGED_LABEL]: managedValue(pod),
  };
}

/**
 * The marker's value: the node the pod is bound to, so kubelets with different node names can share
 * one runtime (tests, simulations) without adopting each other's pods; "true" for a pod without one.
 */
export function managedValue(pod: Pod): string {
  return pod.spec.nodeName || MANAGED_VALUE;
}

/** Annotations of a pod's sandbox: the pod's annotations. */
export function newPodAnnotations(pod: Pod): Record<string, string> {
  return { ...pod.metadata.annotations };
}

/** Labels of a container: its name, its pod's identity, and the kubelet-ts marker. */
export function newContainerLabels(container: Container, pod: Pod): Record<string, string> {
  return {
    [POD_NAME_LABEL]: pod.metadata.name ?? "",
    [POD_NAMESPACE_LABEL]: pod.metadata.namespace ?? "",
    [POD_UID_LABEL]: pod.metadata.uid ?? "",
    [CONTAINER_NAME_LABEL]: container.name,
    [MANAGED_LABEL]: managedValue(pod),
  };
}

/**
 * Annotations of a container: what the kubelet must know about it later without the pod spec
 * (hash, restart count, termination message settings, grace periods, preStop hook, ports).
 * `extra` (e.g. device plugin annotations) is overridden by the kubelet's own keys.
 */
export function newContainerAnnotations(container: Container, pod: Pod, restartCount: number, extra: Labels = {}): Record<string, string> {
  const a: Record<string, string> = { ...extra };
  a[CONTAINER_HASH_ANNOTATION] = hashContainer(container);
  a[CONTAINER_RESTART_COUNT_ANNOTATION] = String(restartCount);
  // Unset means the API defaults (a pod from a manifest may not have been defaulted).
  a[CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION] = container.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
  a[CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION] = container.terminationMessagePolicy ?? "File";
  if (pod.metadata.deletionGracePeriodSeconds !== undefined) {
    a[POD_DELETION_GRACE_PERIOD_ANNOTATION] = String(pod.metadata.deletionGracePeriodSeconds);
  }
  if (pod.spec.terminationGracePeriodSeconds !== undefined) {
    a[POD_TERMINATION_GRACE_PERIOD_ANNOTATION] = String(pod.spec.terminationGracePeriodSeconds);
  }
  if (container.lifecycle?.preStop) a[CONTAINER_PRESTOP_HANDLER_ANNOTATION] = JSON.stringify(container.lifecycle.preStop);
  if (container.ports && container.ports.length > 0) a[CONTAINER_PORTS_ANNOTATION] = JSON.stringify(container.ports);
  return a;
}

/** True when the labels carry the kubelet-ts marker (the object is ours to manage). */
export function isManagedByKubeletTs(labels: Labels | null | undefined): boolean {
  const v = labels?.[MANAGED_LABEL];
  return v !== undefined && v !== "" && v !== "false";
}

/** The pod a sandbox belongs to, and the pod's own labels (identity and marker removed). */
export interface SandboxLabelInfo { podName: string; podNamespace: string; podUID: string; labels: Record<string, string> }

/** Reads a sandbox's labels back; missing identity labels come back as "". */
export function sandboxInfoFromLabels(labels: Labels | null | undefined): SandboxLabelInfo {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) {
    if (k !== POD_NAME_LABEL && k !== POD_NAMESPACE_LABEL && k !== POD_UID_LABEL && k !== MANAGED_LABEL) own[k] = v;
  }
  return {
    podName: labels?.[POD_NAME_LABEL] ?? "",
    podNamespace: labels?.[POD_NAMESPACE_LABEL] ?? "",
    podUID: labels?.[POD_UID_LABEL] ?? "",
    labels: own,
  };
}

/** The container name and pod identity a container carries. */
export interface ContainerLabelInfo { containerName: string; podName: string; podNamespace: string; podUID: string }

/** Reads a container's labels back; missing ones come back as "". */
export function containerInfoFromLabels(labels: Labels | null | undefined): ContainerLabelInfo {
  return {
    containerName: labels?.[CONTAINER_NAME_LABEL] ?? "",
    podName: labels?.[POD_NAME_LABEL] ?? "",
    podNamespace: labels?.[POD_NAMESPACE_LABEL] ?? "",
    podUID: labels?.[POD_UID_LABEL] ?? "",
  };
}

/** What a container's annotations say about it; garbled or missing values take their zero value. */
export interface ContainerAnnotationInfo {
  /** "" when missing or not hex (never equal to a real hash, so the container is restarted). */
  hash: string;
  restartCount: number;
  terminationMessagePath: string;
  terminationMessagePolicy: string;
  podDeletionGracePeriod?: number;
  podTerminationGracePeriod?: number;
  preStopHandler?: Handler;
  ports: ContainerPort[];
}

/** Reads a container's annotations back, tolerating missing and garbled values as upstream does. */
export function containerInfoFromAnnotations(annotations: Labels | null | undefined): ContainerAnnotationInfo {
  const a = annotations ?? {};
  const hash = a[CONTAINER_HASH_ANNOTATION] ?? "";
  const info: ContainerAnnotationInfo = {
    hash: /^[0-9a-fA-F]{1,16}$/.test(hash) ? hash.toLowerCase().replace(/^0+(?=.)/, "") : "",
    restartCount: parseInteger(a[CONTAINER_RESTART_COUNT_ANNOTATION]) ?? 0,
    terminationMessagePath: a[CONTAINER_TERMINATION_MESSAGE_PATH_ANNOTATION] ?? "",
    terminationMessagePolicy: a[CONTAINER_TERMINATION_MESSAGE_POLICY_ANNOTATION] ?? "",
    ports: [],
  };
  const deletion = parseInteger(a[POD_DELETION_GRACE_PERIOD_ANNOTATION]);
  if (deletion !== undefined) info.podDeletionGracePeriod = deletion;
  const termination = parseInteger(a[POD_TERMINATION_GRACE_PERIOD_ANNOTATION]);
  if (termination !== undefined) info.podTerminationGracePeriod = termination;
  const preStop = parseJson(a[CONTAINER_PRESTOP_HANDLER_ANNOTATION]);
  if (preStop !== null && typeof preStop === "object" && !Array.isArray(preStop)) info.preStopHandler = preStop as Handler;
  const ports = parseJson(a[CONTAINER_PORTS_ANNOTATION]);
  if (Array.isArray(ports)) info.ports = ports.filter((p): p is ContainerPort => p !== null && typeof p === "object");
  return info;
}

function parseInteger(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?\d+$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
}

function parseJson(s: string | undefined): unknown {
  if (s === undefined) return null;
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}
