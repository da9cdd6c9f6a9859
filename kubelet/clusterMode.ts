/**
 * Cluster mode: connects the kubelet to the API server — the node agent (Node object, status,
 * Lease), the API pod source, the service cache for service link variables, mirror pods for static
 * pods, pod status writes, the final delete of terminated pods, and events.
 */
import type { Pod } from "../bindings/kube/types.ts";
import { startApiPodSource } from "./config/apiPodSource.ts";
import { startApiServiceSource } from "./config/apiServiceSource.ts";
import { serviceEnvVarMap } from "./envvars/serviceEnv.ts";
import type { KubeletConfiguration } from "./config/kubeletConfiguration.ts";
import type { Kubelet } from "./kubelet.ts";
import type { Logger } from "./log.ts";
import { startNodeAgent } from "./nodestatus/nodeAgent.ts";
import type { NodeHostFacts, NodeResourceAmounts } from "./nodestatus/setters.ts";
import { MirrorPodManager } from "./pod/mirrorPods.ts";
import type { ApiTransport } from "./ports/api.ts";
import type { Clock } from "./ports/clock.ts";
import type { Cri } from "./ports/cri.ts";
import type { EventRecorder } from "./events/recorder.ts";
import { ApiStatusManager } from "./status/apiStatusManager.ts";

/** What cluster mode is started with. */
export interface ClusterModeOptions {
  api: ApiTransport;
  kubelet: Kubelet;
  nodeName: string;
  nodeLabels: Record<string, string>;
  cri: Cri;
  config: KubeletConfiguration;
  facts: NodeHostFacts;
  capacity: NodeResourceAmounts;
  allocatable: NodeResourceAmounts;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  healthy: () => string | undefined;
  onRepeatedHeartbeatFailure: () => void;
  /** The eviction manager's pressure conditions for the node status. */
  pressure?: () => { memory: boolean; disk: boolean; pid: boolean };
}

/** A running cluster-mode connection. */
export interface ClusterMode {
  /** Feeds the static pods (file source) so their mirror pods follow them. */
  setStaticPods(pods: Pod[]): void;
  /**
   * Resolves after the first pod list from the API server was applied and the first service list
   * was stored (or SERVICE_SYNC_WAIT_MS passed without it), so the first containers get their
   * service link variables.
   */
  readonly synced: Promise<void>;
  /** The service link variables of `pod` from the service cache (upstream getServiceEnvVarMap). */
  serviceEnv(pod: Pod): Record<string, string>;
  stop(): Promise<void>;
}

/** How long the first sync waits for the service list before containers start without it. */
export const SERVICE_SYNC_WAIT_MS = 5000;

const isStatic = (p: Pod) => p.metadata.annotations?.["kubernetes.io/config.source"] === "file";

/** Starts every cluster-mode loop. */
export function startClusterMode(o: ClusterModeOptions): ClusterMode {
  const { api, kubelet, log } = o;
  const agent = startNodeAgent({
    api, nodeName: o.nodeName, cri: o.cri, facts: o.facts, capacity: o.capacity, allocatable: o.allocatable,
    config: {
      nodeStatusUpdateFrequencyMs: o.config.nodeStatusUpdateFrequencyMs, nodeStatusReportFrequencyMs: o.config.nodeStatusReportFrequencyMs,
      nodeLeaseDurationSeconds: o.config.nodeLeaseDurationSeconds, registerNode: o.config.registerNode,
      registerWithTaints: o.config.registerWithTaints, port: o.config.port,
    },
    nodeLabels: o.nodeLabels, events: o.events, log, clock: o.clock, healthy: o.healthy,
    onRepeatedHeartbeatFailure: o.onRepeatedHeartbeatFailure, pressure: o.pressure,
  });
  let nodeUid: string | undefined;
  const nodeRef = async () => {
    if (!nodeUid) nodeUid = (await api.request<{ metadata: { uid: string } }>({ method: "GET", path: `/api/v1/nodes/${o.nodeName}` })).body.metadata.uid;
    return { name: o.nodeName, uid: nodeUid };
  };
  const mirrors = new MirrorPodManager(api, nodeRef, o.clock, log);
  const statuses = new ApiStatusManager(api, o.clock, log);
  const latest = new Map<string, Pod>();
  /** API pods as the API server last showed them (their status is the one a patch applies to). */
  const apiPods = new Map<string, Pod>();

  // A static pod's status goes to its mirror pod; an API pod's to itself.
  const publish = (pod: Pod) => {
    if (!pod.status) return;
    const target = isStatic(pod) ? mirrors.mirrorOf(pod) : apiPods.get(pod.metadata.uid!) ?? pod;
    if (target) statuses.setStatus(target, pod.status);
  };
  const offStatus = kubelet.onStatus((pod) => {
    latest.set(pod.metadata.uid!, pod);
    publish(pod);
  });
  const offTerminated = kubelet.onTerminated((pod) => {
    if (!isStatic(pod)) statuses.deleteWhenDone(pod);
  });

  const services = startApiServiceSource({ api, clock: o.clock, log });
  let cancelServiceWait = () => {};
  const servicesSynced = new Promise<void>((resolve) => {
    cancelServiceWait = o.clock.setTimer(SERVICE_SYNC_WAIT_MS, () => {
      log.warn("services not listed yet; containers start without service link variables until they are", { waitedMs: SERVICE_SYNC_WAIT_MS });
      resolve();
    });
    void services.synced.then(() => {
      cancelServiceWait();
      resolve();
    });
  });

  const source = startApiPodSource({
    api, nodeName: o.nodeName, clock: o.clock, log,
    onPods: (pods, mirrorPods) => {
      apiPods.clear();
      for (const p of pods) apiPods.set(p.metadata.uid!, p);
      const known = new Set(pods.map((p) => p.metadata.uid!));
      for (const uid of latest.keys()) if (!known.has(uid) && !isStatic(latest.get(uid)!)) {
        latest.delete(uid);
        statuses.forget(uid);
      }
      kubelet.setPods("api", pods);
      mirrors.setMirrors(mirrorPods);
      // Status someone else wrote over ours (e.g. the node lifecycle controller) is written again.
      for (const p of [...pods, ...mirrorPods]) statuses.observe(p);
      // A mirror pod that just appeared gets its static pod's latest status.
      for (const p of latest.values()) if (isStatic(p)) publish(p);
    },
  });

  return {
    synced: Promise.all([source.synced, servicesSynced]).then(() => undefined),
    serviceEnv: (pod) => serviceEnvVarMap(services.services(), pod.metadata.namespace ?? "", pod.spec.enableServiceLinks),
    setStaticPods(pods) {
      mirrors.setStaticPods(pods);
    },
    async stop() {
      source.stop();
      services.stop();
      cancelServiceWait();
      offStatus();
      offTerminated();
      await agent.stop();
    },
  };
}
