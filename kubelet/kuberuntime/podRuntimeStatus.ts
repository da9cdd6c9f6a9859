/**
 * What the container runtime holds for one pod, as the kubelet reads it back through CRI:
 * its sandboxes and containers, decoded from the labels and annotations the kubelet put on them.
 * This is the "observed" input of computePodActions and generatePodStatus (both pure).
 */

/** CRI container state, lower-cased. */
export type RuntimeContainerState = "created" | "running" | "exited" | "unknown";

/** One container instance in the runtime (a restart creates a new instance with a new id). */
export interface RuntimeContainer {
  id: string;
  /** The container's name in the pod spec. */
  name: string;
  sandboxId: string;
  /** The restart count the kubelet stamped on this instance when it created it. */
  restartCount: number;
  /** Hash of the container spec this instance was created from; a change means restart. */
  hash: string;
  state: RuntimeContainerState;
  /** Milliseconds since the epoch; 0 when unknown. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as the pod spec named it, and the runtime's resolved reference (digest). */
  image: string;
  imageRef: string;
}

/** One pod sandbox instance in the runtime. */
export interface RuntimeSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  createdAt: number;
  /** Pod IPs (empty for host-network pods or when not yet known). */
  ips: string[];
  hostNetwork: boolean;
}

/** Everything the runtime holds for one pod UID. Lists are sorted newest first. */
export interface PodRuntimeStatus {
  uid: string;
  name: string;
  namespace: string;
  sandboxes: RuntimeSandbox[];
  containers: RuntimeContainer[];
}

/** The newest instance of the named container, if any. */
export function latestContainer(status: PodRuntimeStatus, name: string): RuntimeContainer | undefined {
  let best: RuntimeContainer | undefined;
  for (const c of status.containers) {
    if (c.name === name && (best === undefined || c.createdAt > best.createdAt)) best = c;
  }
  return best;
}

/** The instance before the newest one of the named container (upstream's lastTerminationState source). */
export function previousContainer(status: PodRuntimeStatus, name: string): RuntimeContainer | undefined {
  const latest = latestContainer(status, name);
  let best: RuntimeContainer | undefined;
  for (const c of status.containers) {
    if (c.name === name && c !== latest && (best === undefined || c.createdAt > best.createdAt)) best = c;
  }
  return best;
}

/** An empty runtime status for a pod the runtime holds nothing of yet. */
export function emptyRuntimeStatus(uid: string, name: string, namespace: string): PodRuntimeStatus {
  return { uid, name, namespace, sandboxes: [], containers: [] };
}
