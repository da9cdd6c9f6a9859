/**
 * Resource accounting as the kubelet's control loops need it (QoS class, container and pod cgroup
 * values, oom_score_adj, admission). Implemented over the Wasm core's resource module.
 */
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { CgroupLimits } from "../ports/cgroups.ts";

/** A pod's QoS class. */
export type QosClass = "Guaranteed" | "Burstable" | "BestEffort";

/** The CRI LinuxContainerResources values of one container. */
export interface ContainerResourceValues {
  cpuShares: number;
  cpuQuota: number;
  cpuPeriod: number;
  memoryLimitInBytes: number;
  oomScoreAdj: number;
}

/**
 * Why a pod cannot be admitted (upstream reasons such as OutOfcpu), or undefined when it fits.
 * `message` is the event's text; the pod's status says "Pod " + message (upstream rejectPod).
 */
export interface AdmissionFailure { reason: string; message: string; rejectedAtAdmission: true }

/** Resource arithmetic for pods on this node. */
export interface ResourceAccounting {
  qosClass(pod: Pod): QosClass;
  containerResources(pod: Pod, container: Container): ContainerResourceValues;
  podCgroupLimits(pod: Pod): CgroupLimits;
  /** Checks `pod` against allocatable minus the requests of `admitted` pods. */
  admit(pod: Pod, admitted: readonly Pod[]): AdmissionFailure | undefined;
}

/** The pod's cgroup path under the cgroupfs driver: /kubepods[/burstable|/besteffort]/pod<uid>. */
export function podCgroupPath(cgroupRoot: string, qos: QosClass, uid: string): string {
  const base = `${cgroupRoot.replace(/\/+$/, "")}/kubepods`;
  const tier = qos === "Guaranteed" ? "" : `/${qos.toLowerCase()}`;
  return `${base}${tier}/pod${uid}`;
}
