/**
 * The kubelet's own metrics on `GET /metrics`, with upstream 1.20's names, types, labels, buckets
 * and HELP texts (pkg/kubelet/metrics/metrics.go), limited to what kubelet-ts really measures.
 * Upstream metrics about parts kubelet-ts does not have (device plugins, cgroup manager timings,
 * pod resources endpoint, preemptions, volume stats) are left out rather than reported as zero.
 */
import type { PodRuntimeStatus, RuntimeContainerState } from "../kuberuntime/podRuntimeStatus.ts";
import {
  DEF_BUCKETS, exponentialBuckets, MetricsRegistry, type Counter, type Gauge, type Histogram, type MetricVec,
} from "./registry.ts";

const ALPHA = "ALPHA" as const;

/** Pod worker sync kinds (upstream's SyncPodType strings). */
export type PodWorkerOperation = "create" | "update" | "sync";

/** The handles the kubelet's parts update. */
export interface KubeletMetrics {
  registry: MetricsRegistry;
  nodeName: MetricVec<Gauge>;
  podWorkerDuration: MetricVec<Histogram>;
  podStartDuration: Histogram;
  containersPerPodCount: Histogram;
  plegRelistDuration: Histogram;
  plegRelistInterval: Histogram;
  plegDiscardEvents: Counter;
  plegLastSeen: Gauge;
  runtimeOperations: MetricVec<Counter>;
  runtimeOperationsDuration: MetricVec<Histogram>;
  runtimeOperationsErrors: MetricVec<Counter>;
  runPodSandboxDuration: MetricVec<Histogram>;
  runPodSandboxErrors: MetricVec<Counter>;
  evictions: MetricVec<Counter>;
  runningPods: Gauge;
  runningContainers: MetricVec<Gauge>;
}

/** Registers the kubelet's metrics in `registry` (a new one by default). */
export function createKubeletMetrics(registry = new MetricsRegistry()): KubeletMetrics {
  const k = (name: string) => `kubelet_${name}`;
  return {
    registry,
    nodeName: registry.gaugeVec({ name: k("node_name"), help: "The node's name. The count is always 1.", stabilityLevel: ALPHA }, ["node"]),
    podWorkerDuration: registry.histogramVec({
      name: k("pod_worker_duration_seconds"), help: "Duration in seconds to sync a single pod. Broken down by operation type: create, update, or sync",
      buckets: DEF_BUCKETS, stabilityLevel: ALPHA,
    }, ["operation_type"]),
    podStartDuration: registry.histogram({
      name: k("pod_start_duration_seconds"), help: "Duration in seconds for a single pod to go from pending to running.", buckets: DEF_BUCKETS, stabilityLevel: ALPHA,
    }),
    containersPerPodCount: registry.histogram({
      name: k("containers_per_pod_count"), help: "The number of containers per pod.", buckets: exponentialBuckets(1, 2, 5), stabilityLevel: ALPHA,
    }),
    plegRelistDuration: registry.histogram({
      name: k("pleg_relist_duration_seconds"), help: "Duration in seconds for relisting pods in PLEG.", buckets: DEF_BUCKETS, stabilityLevel: ALPHA,
    }),
    plegRelistInterval: registry.histogram({
      name: k("pleg_relist_interval_seconds"), help: "Interval in seconds between relisting in PLEG.", buckets: DEF_BUCKETS, stabilityLevel: ALPHA,
    }),
    // Our PLEG hands changes over by callback and never drops one; upstream's channel can overflow.
    plegDiscardEvents: registry.counter({ name: k("pleg_discard_events"), help: "The number of discard events in PLEG.", stabilityLevel: ALPHA }),
    plegLastSeen: registry.gauge({ name: k("pleg_last_seen_seconds"), help: "Timestamp in seconds when PLEG was last seen active.", stabilityLevel: ALPHA }),
    runtimeOperations: registry.counterVec({
      name: k("runtime_operations_total"), help: "Cumulative number of runtime operations by operation type.", stabilityLevel: ALPHA,
    }, ["operation_type"]),
    runtimeOperationsDuration: registry.histogramVec({
      name: k("runtime_operations_duration_seconds"), help: "Duration in seconds of runtime operations. Broken down by operation type.",
      buckets: exponentialBuckets(0.005, 2.5, 14), stabilityLevel: ALPHA,
    }, ["operation_type"]),
    runtimeOperationsErrors: registry.counterVec({
      name: k("runtime_operations_errors_total"), help: "Cumulative number of runtime operation errors by operation type.", stabilityLevel: ALPHA,
    }, ["operation_type"]),
    runPodSandboxDuration: registry.histogramVec({
      name: k("run_podsandbox_duration_seconds"), help: "Duration in seconds of the run_podsandbox operations. Broken down by RuntimeClass.Handler.",
      buckets: DEF_BUCKETS, stabilityLevel: ALPHA,
    }, ["runtime_handler"]),
    runPodSandboxErrors: registry.counterVec({
      name: k("run_podsandbox_errors_total"), help: "Cumulative number of the run_podsandbox operation errors by RuntimeClass.Handler.", stabilityLevel: ALPHA,
    }, ["runtime_handler"]),
    evictions: registry.counterVec({ name: k("evictions"), help: "Cumulative number of pod evictions by eviction signal", stabilityLevel: ALPHA }, ["eviction_signal"]),
    runningPods: registry.gauge({ name: k("running_pods"), help: "Number of pods that have a running pod sandbox", stabilityLevel: ALPHA }),
    runningContainers: registry.gaugeVec({ name: k("running_containers"), help: "Number of containers currently running", stabilityLevel: ALPHA }, ["container_state"]),
  };
}

const CONTAINER_STATES: readonly RuntimeContainerState[] = ["created", "running", "exited", "unknown"];

/**
 * Sets kubelet_running_pods (pods with a ready sandbox) and kubelet_running_containers (containers
 * by state) from the PLEG's last relist, as upstream's relist does; computed at scrape time.
 */
export function setRunningCounts(m: KubeletMetrics, pods: Iterable<PodRuntimeStatus>): void {
  let running = 0;
  const byState: Record<RuntimeContainerState, number> = { created: 0, running: 0, exited: 0, unknown: 0 };
  for (const p of pods) {
    if (p.sandboxes.some((s) => s.ready)) running++;
    for (const c of p.containers) byState[c.state]++;
  }
  m.runningPods.set(running);
  for (const s of CONTAINER_STATES) m.runningContainers.labels(s).set(byState[s]);
}
