/**
 * Turns what CRI reports (ListPodSandbox, PodSandboxStatus, ListContainers, ContainerStatus) into
 * the kubelet's observed model, one PodRuntimeStatus per pod UID (upstream GetPodStatus and
 * getPodContainerStatuses). Objects without the kubelet-ts marker label are not ours and are skipped.
 */
import {
  type Container as CriContainer, type ContainerState, type ContainerStatus, type PodSandbox,
  type PodSandboxStatus, unixNanosToMillis,
} from "../../bindings/cri/types.ts";
import { containerInfoFromAnnotations, containerInfoFromLabels, isManagedByKubeletTs, sandboxInfoFromLabels } from "./labels.ts";
import type { PodRuntimeStatus, RuntimeContainer, RuntimeContainerState, RuntimeSandbox } from "./podRuntimeStatus.ts";

/** One relist's worth of CRI answers; statuses are optional enrichments of the list items. */
export interface CriSnapshot {
  sandboxes: readonly PodSandbox[];
  /** PodSandboxStatus results (for IPs and the network namespace); null entries are ignored. */
  sandboxStatuses?: readonly (PodSandboxStatus | null | undefined)[];
  containers: readonly CriContainer[];
  /** ContainerStatus results (for start/finish times, exit code, reason, message); null entries are ignored. */
  containerStatuses?: readonly (ContainerStatus | null | undefined)[];
}

/** Lower-cased container state; anything unexpected is "unknown". */
export function decodeContainerState(state: ContainerState | string | undefined): RuntimeContainerState {
  switch (state) {
    case "CONTAINER_CREATED": return "created";
    case "CONTAINER_RUNNING": return "running";
    case "CONTAINER_EXITED": return "exited";
    default: return "unknown";
  }
}

function byId<T extends { id: string }>(items: readonly (T | null | undefined)[] | undefined): Map<string, T> {
  const m = new Map<string, T>();
  for (const it of items ?? []) if (it) m.set(it.id, it);
  return m;
}

/** The pod's IPs as the sandbox reports them: the primary first, then the additional ones. */
function sandboxIPs(status: PodSandboxStatus | undefined): string[] {
  const net = status?.network;
  if (!net) return [];
  return [net.ip, ...(net.additionalIps ?? []).map((p) => p.ip)].filter((ip) => ip !== undefined && ip !== "");
}

function decodeSandbox(s: PodSandbox, status: PodSandboxStatus | undefined): RuntimeSandbox {
  return {
    id: s.id,
    attempt: s.metadata?.attempt ?? status?.metadata?.attempt ?? 0,
    ready: (status?.state ?? s.state) === "SANDBOX_READY",
    createdAt: unixNanosToMillis(s.createdAt ?? 0),
    ips: sandboxIPs(status),
    hostNetwork: status?.linux?.namespaces?.options?.network === "NODE",
  };
}

function decodeContainer(c: CriContainer, status: ContainerStatus | undefined): RuntimeContainer {
  const labels = containerInfoFromLabels(status?.labels ?? c.labels);
  const notes = containerInfoFromAnnotations(status?.annotations ?? c.annotations);
  return {
    id: c.id,
    name: labels.containerName || (c.metadata?.name ?? ""),
    sandboxId: c.podSandboxId,
    restartCount: notes.restartCount,
    hash: notes.hash,
    state: decodeContainerState(status?.state ?? c.state),
    createdAt: unixNanosToMillis(status?.createdAt || c.createdAt || 0),
    startedAt: unixNanosToMillis(status?.startedAt ?? 0),
    finishedAt: unixNanosToMillis(status?.finishedAt ?? 0),
    exitCode: status?.exitCode ?? 0,
    reason: status?.reason ?? "",
    message: status?.message ?? "",
    image: status?.image?.image || c.image?.image || "",
    imageRef: status?.imageRef || c.imageRef || "",
  };
}

/**
 * The observed status of every kubelet-ts pod in the snapshot, keyed by pod UID, with sandboxes
 * and containers sorted newest first. Objects lacking the marker label or a pod UID are skipped.
 */
export function decodeRuntimeStatus(snapshot: CriSnapshot): Map<string, PodRuntimeStatus> {
  const pods = new Map<string, PodRuntimeStatus>();
  const podFor = (uid: string, name: string, namespace: string): PodRuntimeStatus => {
    let p = pods.get(uid);
    if (!p) {
      p = { uid, name, namespace, sandboxes: [], containers: [] };
      pods.set(uid, p);
    }
    if (p.name === "") p.name = name;
    if (p.namespace === "") p.namespace = namespace;
    return p;
  };

  const sandboxStatuses = byId(snapshot.sandboxStatuses);
  for (const s of snapshot.sandboxes) {
    if (!isManagedByKubeletTs(s.labels)) continue;
    const info = sandboxInfoFromLabels(s.labels);
    const uid = info.podUID || (s.metadata?.uid ?? "");
    if (uid === "") continue;
    const pod = podFor(uid, info.podName || (s.metadata?.name ?? ""), info.podNamespace || (s.metadata?.namespace ?? ""));
    pod.sandboxes.push(decodeSandbox(s, sandboxStatuses.get(s.id)));
  }

  const containerStatuses = byId(snapshot.containerStatuses);
  for (const c of snapshot.containers) {
    if (!isManagedByKubeletTs(c.labels)) continue;
    const info = containerInfoFromLabels(c.labels);
    if (info.podUID === "") continue;
    podFor(info.podUID, info.podName, info.podNamespace).containers.push(decodeContainer(c, containerStatuses.get(c.id)));
  }

  for (const p of pods.values()) {
    p.sandboxes.sort((a, b) => b.createdAt - a.createdAt);
    p.containers.sort((a, b) => b.createdAt - a.createdAt);
  }
  return pods;
}
