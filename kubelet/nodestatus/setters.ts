/**
 * The node status setters (upstream pkg/kubelet/nodestatus/setters.go): pure functions that fill a
 * Node's status from what the kubelet knows, in upstream's order — addresses, machine info and
 * capacity/allocatable, versions, daemon endpoints, images, OS/arch, then the MemoryPressure,
 * DiskPressure, PIDPressure and (last) Ready conditions. Condition transitions record node events.
 */
import type { Image } from "../../bindings/cri/types.ts";
import type { ContainerImage, Node, NodeCondition } from "../../bindings/kube/node.ts";
import { formatBinarySI, formatCount, formatMilliCPU } from "./quantityFormat.ts";

/** Facts about the machine, gathered by the host (hosts/node/nodeSystemInfo.ts). */
export interface NodeHostFacts {
  /** The host name (label kubernetes.io/hostname and the Hostname address); usually the node name. */
  hostname: string;
  /** The InternalIP address; undefined when the host has none. */
  internalIP?: string;
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  /** GOOS spelling: "linux". */
  operatingSystem: string;
  /** GOARCH spelling: "amd64", "arm64". */
  architecture: string;
}

/** Amounts of the node's resources (capacity, or allocatable as the core computed it). */
export interface NodeResourceAmounts { cpuMilli: number; memoryBytes: number; ephemeralStorageBytes: number; pods: number }

/** Pressure signals (the eviction manager's); all false when there is none. */
export interface NodePressure { memory: boolean; disk: boolean; pid: boolean }

/** Everything the setters read. */
export interface NodeStatusInputs {
  nodeName: string;
  facts: NodeHostFacts;
  capacity: NodeResourceAmounts;
  allocatable: NodeResourceAmounts;
  /** "containerd://1.6.20"; "<runtime>://Unknown" when the version is not known. */
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeletPort: number;
  images: ContainerImage[];
  /** Why the node is not ready (runtime, health checks, network), one message each; empty when it is ready. */
  readyErrors: string[];
  pressure: NodePressure;
}

/** Records an event about the node: type, reason, message. */
export type NodeEventFn = (type: "Normal" | "Warning", reason: string, message: string) => void;

/** Upstream's default nodeStatusMaxImages. */
export const NODE_STATUS_MAX_IMAGES = 50;
/** Upstream MaxNamesPerImageInNodeStatus. */
export const MAX_NAMES_PER_IMAGE = 5;

/** A metav1.Time: RFC 3339 with seconds precision. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The node's images as upstream reports them: largest first, at most `max`, up to 5 names each (digests, then tags). */
export function nodeImages(images: readonly Image[], max = NODE_STATUS_MAX_IMAGES): ContainerImage[] {
  const sorted = [...images].sort((a, b) => Number(b.size) - Number(a.size));
  const kept = max > -1 ? sorted.slice(0, max) : sorted;
  return kept.map((img) => ({ names: [...img.repoDigests, ...img.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: Number(img.size) }));
}

function setMachineInfo(node: Node, inp: NodeStatusInputs, record: NodeEventFn): void {
  const st = node.status!;
  const f = inp.facts;
  const prevBoot = st.nodeInfo?.bootID;
  if (prevBoot && prevBoot !== f.bootID) record("Warning", "Rebooted", `Node ${inp.nodeName} has been rebooted, boot id: ${f.bootID}`);
  const cap = inp.capacity;
  const alloc = inp.allocatable;
  st.capacity = { ...st.capacity, cpu: formatMilliCPU(cap.cpuMilli), "ephemeral-storage": formatBinarySI(cap.ephemeralStorageBytes), memory: formatBinarySI(cap.memoryBytes), pods: formatCount(cap.pods) };
  const clamp = (n: number) => Math.max(0, n);
  st.allocatable = {
    ...st.allocatable,
    cpu: formatMilliCPU(clamp(alloc.cpuMilli)),
    "ephemeral-storage": formatBinarySI(clamp(alloc.ephemeralStorageBytes)),
    memory: formatBinarySI(clamp(alloc.memoryBytes)),
    pods: formatCount(clamp(alloc.pods)),
  };
  st.nodeInfo = {
    ...st.nodeInfo,
    machineID: f.machineID,
    systemUUID: f.systemUUID,
    bootID: f.bootID,
    kernelVersion: f.kernelVersion,
    osImage: f.osImage,
    containerRuntimeVersion: inp.containerRuntimeVersion,
    kubeletVersion: inp.kubeletVersion,
    kubeProxyVersion: inp.kubeletVersion,
    operatingSystem: f.operatingSystem,
    architecture: f.architecture,
  };
}

interface PressureSpec { type: string; trueReason: string; trueMessage: string; trueEvent: string; falseReason: string; falseMessage: string; falseEvent: string }

const PRESSURES: Array<[keyof NodePressure, PressureSpec]> = [
  ["memory", { type: "MemoryPressure", trueReason: "KubeletHasInsufficientMemory", trueMessage: "kubelet has insufficient memory available", trueEvent: "NodeHasInsufficientMemory", falseReason: "KubeletHasSufficientMemory", falseMessage: "kubelet has sufficient memory available", falseEvent: "NodeHasSufficientMemory" }],
  ["disk", { type: "DiskPressure", trueReason: "KubeletHasDiskPressure", trueMessage: "kubelet has disk pressure", trueEvent: "NodeHasDiskPressure", falseReason: "KubeletHasNoDiskPressure", falseMessage: "kubelet has no disk pressure", falseEvent: "NodeHasNoDiskPressure" }],
  ["pid", { type: "PIDPressure", trueReason: "KubeletHasInsufficientPID", trueMessage: "kubelet has insufficient PID available", trueEvent: "NodeHasInsufficientPID", falseReason: "KubeletHasSufficientPID", falseMessage: "kubelet has sufficient PID available", falseEvent: "NodeHasSufficientPID" }],
];

/** Upstream recordNodeStatusEvent's message. */
export function nodeStatusEventMessage(nodeName: string, event: string): string {
  return `Node ${nodeName} status is now: ${event}`;
}

function setPressure(node: Node, spec: PressureSpec, pressure: boolean, now: string, statusEvent: (e: string) => void): void {
  const conditions = (node.status!.conditions ??= []);
  let c = conditions.find((x) => x.type === spec.type);
  const isNew = !c;
  c ??= { type: spec.type, status: "Unknown" };
  c.lastHeartbeatTime = now;
  if (pressure && c.status !== "True") {
    Object.assign(c, { status: "True", reason: spec.trueReason, message: spec.trueMessage, lastTransitionTime: now });
    statusEvent(spec.trueEvent);
  } else if (!pressure && c.status !== "False") {
    Object.assign(c, { status: "False", reason: spec.falseReason, message: spec.falseMessage, lastTransitionTime: now });
    statusEvent(spec.falseEvent);
  }
  if (isNew) conditions.push(c);
}

/** Several errors as upstream's utilerrors aggregate prints them: one as is, more as "[a, b]", duplicates once. */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(", ")}]`;
}

const REQUIRED_CAPACITIES = ["cpu", "memory", "pods", "ephemeral-storage"];

function setReady(node: Node, errors: string[], now: string, statusEvent: (e: string) => void): void {
  const st = node.status!;
  const rs = [...errors];
  const missing = REQUIRED_CAPACITIES.filter((r) => st.capacity?.[r] === undefined);
  if (missing.length > 0) rs.push(`missing node capacity for resources: ${missing.join(", ")}`);
  const next: NodeCondition = rs.length === 0
    ? { type: "Ready", status: "True", lastHeartbeatTime: now, reason: "KubeletReady", message: "kubelet is posting ready status" }
    : { type: "Ready", status: "False", lastHeartbeatTime: now, reason: "KubeletNotReady", message: aggregateMessage(rs) };
  const conditions = (st.conditions ??= []);
  const i = conditions.findIndex((c) => c.type === "Ready");
  if (i < 0) {
    conditions.push({ ...next, lastTransitionTime: now });
    return;
  }
  const prev = conditions[i]!;
  const transition = prev.status !== next.status;
  conditions[i] = { ...next, lastTransitionTime: transition ? now : prev.lastTransitionTime };
  if (transition) statusEvent(next.status === "True" ? "NodeReady" : "NodeNotReady");
}

/**
 * Fills `node.status` (in place) from `inputs` at time `nowMs`, keeping what the node already has
 * (transition times, conditions and resources set by others). Events go to `record`.
 */
export function setNodeStatus(node: Node, inputs: NodeStatusInputs, nowMs: number, record: NodeEventFn): void {
  const st = (node.status ??= {});
  const now = formatTime(nowMs);
  const addresses: NonNullable<typeof st.addresses> = [];
  if (inputs.facts.internalIP) addresses.push({ type: "InternalIP", address: inputs.facts.internalIP });
  addresses.push({ type: "Hostname", address: inputs.facts.hostname });
  st.addresses = addresses;
  setMachineInfo(node, inputs, record);
  st.daemonEndpoints = { kubeletEndpoint: { Port: inputs.kubeletPort } };
  st.images = inputs.images;
  const statusEvent = (e: string) => record("Normal", e, nodeStatusEventMessage(inputs.nodeName, e));
  for (const [key, spec] of PRESSURES) setPressure(node, spec, inputs.pressure[key], now, statusEvent);
  setReady(node, inputs.readyErrors, now, statusEvent);
  // Upstream removes the OutOfDisk condition that kubelets before 1.12 set.
  st.conditions = st.conditions!.filter((c) => c.type !== "OutOfDisk");
}

/** True when the node's Ready condition is True. */
export function isNodeReady(node: Node | undefined): boolean {
  return node?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}
