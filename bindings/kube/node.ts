/**
 * The Kubernetes API objects of the node side of cluster mode, as plain JSON shapes (v1.20 field
 * names): core/v1 Node, coordination.k8s.io/v1 Lease, certificates.k8s.io/v1 CertificateSigningRequest.
 * Only what the kubelet reads or writes is typed; objects may carry more fields.
 */
import type { ObjectMeta } from "./types.ts";

/** A node taint (`registerWithTaints`, `spec.taints`). */
export interface Taint { key: string; value?: string; effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute"; timeAdded?: string }

/** Node.spec. */
export interface NodeSpec { podCIDR?: string; podCIDRs?: string[]; providerID?: string; unschedulable?: boolean; taints?: Taint[] }

/** One node condition (Ready, MemoryPressure, ...); times are RFC 3339 seconds ("2006-01-02T15:04:05Z"). */
export interface NodeCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** A node address. */
export interface NodeAddress { type: "InternalIP" | "ExternalIP" | "Hostname" | "InternalDNS" | "ExternalDNS"; address: string }

/** Node.status.nodeInfo. */
export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
}

/** An image present on the node. */
export interface ContainerImage { names?: string[]; sizeBytes?: number }

/** Node.status. */
export interface NodeStatus {
  capacity?: Record<string, string>;
  allocatable?: Record<string, string>;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  nodeInfo?: NodeSystemInfo;
  images?: ContainerImage[];
  volumesInUse?: string[];
  volumesAttached?: unknown[];
  config?: unknown;
}

/** A core/v1 Node. */
export interface Node {
  apiVersion?: "v1";
  kind?: "Node";
  metadata: ObjectMeta;
  spec?: NodeSpec;
  status?: NodeStatus;
}

/** coordination.k8s.io/v1 Lease; `renewTime`/`acquireTime` are MicroTime ("2006-01-02T15:04:05.000000Z"). */
export interface Lease {
  apiVersion?: "coordination.k8s.io/v1";
  kind?: "Lease";
  metadata: ObjectMeta;
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** certificates.k8s.io/v1 key usages the kubelet asks for. */
export type KeyUsage = "digital signature" | "key encipherment" | "client auth" | "server auth";

/** A CSR condition (Approved, Denied, Failed). */
export interface CertificateSigningRequestCondition {
  type: "Approved" | "Denied" | "Failed" | string;
  status?: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

/** certificates.k8s.io/v1 CertificateSigningRequest; `request` and `certificate` are base64 of PEM. */
export interface CertificateSigningRequest {
  apiVersion?: "certificates.k8s.io/v1";
  kind?: "CertificateSigningRequest";
  metadata: ObjectMeta;
  spec: { request: string; signerName: string; usages?: KeyUsage[]; username?: string; groups?: string[] };
  status?: { conditions?: CertificateSigningRequestCondition[]; certificate?: string };
}
