/**
 * The Node object the kubelet registers (upstream initialNode) and the reconciliation of a Node that
 * already exists under its name (upstream tryRegisterWithAPIServer's AlreadyExists branch).
 */
import type { Node, Taint } from "../../bindings/kube/node.ts";

/** Default labels the kubelet owns and re-asserts on an existing Node (upstream updateDefaultLabels). */
export const DEFAULT_NODE_LABELS = [
  "kubernetes.io/hostname",
  "topology.kubernetes.io/zone",
  "topology.kubernetes.io/region",
  "failure-domain.beta.kubernetes.io/zone",
  "failure-domain.beta.kubernetes.io/region",
  "node.kubernetes.io/instance-type",
  "beta.kubernetes.io/instance-type",
  "kubernetes.io/os",
  "kubernetes.io/arch",
  "node.kubernetes.io/windows-build",
  "beta.kubernetes.io/os",
  "beta.kubernetes.io/arch",
] as const;

/** The annotation that hands volume attach/detach to the controller (enableControllerAttachDetach, on by default). */
export const CONTROLLER_MANAGED_ATTACH_ANNOTATION = "volumes.kubernetes.io/controller-managed-attach-detach";

/** What the initial Node is made of. */
export interface InitialNodeSpec {
  nodeName: string;
  hostname: string;
  operatingSystem: string;
  architecture: string;
  /** --node-labels; they override default labels. */
  nodeLabels?: Record<string, string>;
  registerWithTaints?: Taint[];
  /** registerSchedulable (default true); false registers unschedulable with the unschedulable taint. */
  registerSchedulable?: boolean;
  /** enableControllerAttachDetach (default true). */
  controllerAttachDetach?: boolean;
}

/** The Node as first registered, before its status is filled in. */
export function initialNode(s: InitialNodeSpec): Node {
  const labels: Record<string, string> = {
    "kubernetes.io/hostname": s.hostname,
    "kubernetes.io/os": s.operatingSystem,
    "kubernetes.io/arch": s.architecture,
    "beta.kubernetes.io/os": s.operatingSystem,
    "beta.kubernetes.io/arch": s.architecture,
    ...s.nodeLabels,
  };
  const node: Node = { apiVersion: "v1", kind: "Node", metadata: { name: s.nodeName, labels }, spec: {}, status: {} };
  const taints: Taint[] = (s.registerWithTaints ?? []).map((t) => ({ ...t }));
  if (s.registerSchedulable === false) {
    node.spec!.unschedulable = true;
    if (!taints.some((t) => t.key === "node.kubernetes.io/unschedulable" && t.effect === "NoSchedule")) {
      taints.push({ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" });
    }
  }
  if (taints.length > 0) node.spec!.taints = taints;
  if (s.controllerAttachDetach !== false) node.metadata.annotations = { [CONTROLLER_MANAGED_ATTACH_ANNOTATION]: "true" };
  return node;
}

const isExtendedResource = (name: string) => name.includes("/") && !name.startsWith("kubernetes.io/") && !name.startsWith("requests.");

/**
 * Brings an existing Node in line with the one this kubelet would register (in place): the attach/
 * detach annotation, the default labels, and extended resources zeroed until their plugins report
 * again. Returns true when `existing` changed and must be patched.
 */
export function reconcileExistingNode(wanted: Node, existing: Node): boolean {
  let changed = false;
  const wantCmad = wanted.metadata.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
  const haveCmad = existing.metadata.annotations?.[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
  if (wantCmad !== haveCmad) {
    const a = (existing.metadata.annotations ??= {});
    if (wantCmad === undefined) delete a[CONTROLLER_MANAGED_ATTACH_ANNOTATION];
    else a[CONTROLLER_MANAGED_ATTACH_ANNOTATION] = wantCmad;
    changed = true;
  }
  const labels = (existing.metadata.labels ??= {});
  for (const key of DEFAULT_NODE_LABELS) {
    const want = wanted.metadata.labels?.[key];
    if (want === undefined) continue;
    if (labels[key] !== want) {
      labels[key] = want;
      changed = true;
    }
    if (labels[key] === "") delete labels[key];
  }
  const st = existing.status;
  for (const key of Object.keys(st?.capacity ?? {})) {
    if (!isExtendedResource(key)) continue;
    st!.capacity![key] = "0";
    (st!.allocatable ??= {})[key] = "0";
    changed = true;
  }
  return changed;
}
