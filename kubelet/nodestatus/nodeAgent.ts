/**
 * The node side of cluster mode in one call: the "Starting" event, the runtime check loop (CRI
 * Status every 5 s), registration and node status updates every nodeStatusUpdateFrequency, and the
 * node Lease. The host wires it with an ApiTransport, the CRI, the machine's facts and the core's
 * capacity/allocatable; the composition root only starts and stops it.
 */
import type { Taint } from "../../bindings/kube/node.ts";
import type { EventRecorder, EventSubject } from "../events/recorder.ts";
import type { Logger } from "../log.ts";
import { LeaseController } from "../nodelease/leaseController.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import type { Cri } from "../ports/cri.ts";
import { KUBERNETES_VERSION } from "../version.ts";
import { initialNode } from "./nodeObject.ts";
import { NodeStatusSync } from "./nodeStatusSync.ts";
import { RUNTIME_CHECK_PERIOD_MS, RuntimeState } from "./runtimeState.ts";
import { formatRuntimeVersion } from "./runtimeVersion.ts";
import { isNodeReady, nodeImages, type NodeEventFn, type NodeHostFacts, type NodePressure, type NodeResourceAmounts, type NodeStatusInputs } from "./setters.ts";

/** The KubeletConfiguration fields the node agent uses (upstream names, durations in ms). */
export interface NodeAgentConfig {
  /** nodeStatusUpdateFrequency (default 10 s). */
  nodeStatusUpdateFrequencyMs: number;
  /** nodeStatusReportFrequency (default 5 min). */
  nodeStatusReportFrequencyMs: number;
  /** nodeLeaseDurationSeconds (default 40). */
  nodeLeaseDurationSeconds: number;
  /** registerNode (default true); false: only the Lease and status of a Node someone else made. */
  registerNode: boolean;
  registerWithTaints: Taint[];
  /** The kubelet API port (daemonEndpoints.kubeletEndpoint.Port). */
  port: number;
}

/** Everything the node agent is built from. */
export interface NodeAgentOptions {
  api: ApiTransport;
  nodeName: string;
  cri: Cri;
  facts: NodeHostFacts;
  capacity: NodeResourceAmounts;
  allocatable: NodeResourceAmounts;
  config: NodeAgentConfig;
  /** --node-labels. */
  nodeLabels?: Record<string, string>;
  events: EventRecorder;
  log: Logger;
  clock: Clock;
  /** The kubelet's health checks (PLEG): an error message like "PLEG is not healthy: ..." or undefined. */
  healthy?: () => string | undefined;
  /** Eviction signals; no pressure when absent. */
  pressure?: () => NodePressure;
  /** Called when heartbeats keep failing: the host drops its API connections (NodeApiTransport.resetConnections). */
  onRepeatedHeartbeatFailure?: () => void;
  /** [0, 1) for jitter; default Math.random. */
  random?: () => number;
}

/** A running node agent. */
export interface NodeAgent {
  /** True when the last computed Ready condition is True. */
  nodeReady(): boolean;
  /** True once the Node exists on the API server. */
  registered(): boolean;
  /** Replaces capacity/allocatable (e.g. after the root filesystem was measured again). */
  updateResources(capacity: NodeResourceAmounts, allocatable: NodeResourceAmounts): void;
  /** Stops every loop; the Node and Lease stay (the node lifecycle controller notices the silence). */
  stop(): Promise<void>;
}

/** Starts the node agent; returns at once, the loops run in the background. */
export function startNodeAgent(o: NodeAgentOptions): NodeAgent {
  const stopped = new AbortController();
  const subject: EventSubject = { kind: "Node", name: o.nodeName, uid: o.nodeName };
  const record: NodeEventFn = (type, reason, message) => o.events.event(subject, type, reason, message);
  const runtime = new RuntimeState();
  let capacity = o.capacity;
  let allocatable = o.allocatable;
  let runtimeName = "";
  let ready = false;
  const timers = new Set<() => void>();
  const busy = new Set<Promise<void>>();

  const track = (p: Promise<void>) => {
    busy.add(p);
    void p.finally(() => busy.delete(p));
    return p;
  };
  /** Runs `fn` now and then `periodMs` after each run ends (upstream wait.Until), until stopped. */
  const every = (periodMs: number, fn: () => Promise<void>, first = 0) => {
    const run = () => {
      if (stopped.signal.aborted) return;
      track(fn().catch((err) => o.log.error("node agent loop failed", { err: String(err) })).finally(() => {
        if (stopped.signal.aborted) return;
        const cancel = o.clock.setTimer(periodMs, () => { timers.delete(cancel); run(); });
        timers.add(cancel);
      }));
    };
    const cancel = o.clock.setTimer(first, () => { timers.delete(cancel); run(); });
    timers.add(cancel);
  };

  const checkRuntime = async () => {
    const result = await o.cri.status(false, { signal: stopped.signal }).catch((err: Error) => err);
    const problem = runtime.observe(result, o.clock.now());
    if (problem) o.log.error(problem);
  };

  const runtimeVersion = async () => {
    try {
      const v = await o.cri.version({ signal: stopped.signal });
      runtimeName = v.runtimeName;
      return `${v.runtimeName}://${formatRuntimeVersion(v.runtimeVersion) ?? "Unknown"}`;
    } catch {
      return `${runtimeName || "remote"}://Unknown`;
    }
  };

  const inputs = async (): Promise<NodeStatusInputs> => {
    const images = await o.cri.listImages(undefined, { signal: stopped.signal }).catch((err) => {
      o.log.error("error getting image list", { err: String(err) });
      return [];
    });
    const readyErrors = runtime.errors(o.clock.now(), [o.healthy?.()]);
    return {
      nodeName: o.nodeName, facts: o.facts, capacity, allocatable,
      containerRuntimeVersion: await runtimeVersion(),
      kubeletVersion: KUBERNETES_VERSION,
      kubeletPort: o.config.port,
      images: nodeImages(images),
      readyErrors,
      pressure: o.pressure?.() ?? { memory: false, disk: false, pid: false },
    };
  };

  const lease = new LeaseController({
    api: o.api, nodeName: o.nodeName, clock: o.clock, log: o.log, durationSeconds: o.config.nodeLeaseDurationSeconds,
    random: o.random, onRepeatedHeartbeatFailure: o.onRepeatedHeartbeatFailure,
  });
  const status = new NodeStatusSync({
    api: o.api, nodeName: o.nodeName, clock: o.clock, log: o.log, record,
    initialNode: () => initialNode({
      nodeName: o.nodeName, hostname: o.facts.hostname, operatingSystem: o.facts.operatingSystem, architecture: o.facts.architecture,
      nodeLabels: o.nodeLabels, registerWithTaints: o.config.registerWithTaints,
    }),
    inputs, reportFrequencyMs: o.config.nodeStatusReportFrequencyMs,
    onRepeatedHeartbeatFailure: o.onRepeatedHeartbeatFailure, signal: stopped.signal,
  });

  record("Normal", "Starting", "Starting kubelet.");
  let leaseStarted = false;
  const syncStatus = async () => {
    if (o.config.registerNode) await status.sync();
    else await status.update().catch((err) => o.log.error("unable to update node status", { err: String(err) }));
    ready = isNodeReady(status.node());
    // The Lease names the Node as its owner, so it follows the first registration at once.
    if (!leaseStarted && (status.isRegistered() || !o.config.registerNode)) {
      leaseStarted = true;
      lease.start();
    }
  };
  // The first runtime check completes before the first registration, so a healthy node registers Ready.
  track(checkRuntime().finally(() => {
    every(RUNTIME_CHECK_PERIOD_MS, checkRuntime, RUNTIME_CHECK_PERIOD_MS);
    every(o.config.nodeStatusUpdateFrequencyMs, syncStatus);
  }));
  // Upstream starts the lease loop independently; if registration is slow it starts anyway.
  const leaseFallback = o.clock.setTimer(o.config.nodeLeaseDurationSeconds * 250, () => {
    if (!leaseStarted && !stopped.signal.aborted) {
      leaseStarted = true;
      lease.start();
    }
  });
  timers.add(leaseFallback);

  return {
    nodeReady: () => ready,
    registered: () => status.isRegistered(),
    updateResources(c, a) {
      capacity = c;
      allocatable = a;
    },
    async stop() {
      stopped.abort();
      for (const cancel of timers) cancel();
      timers.clear();
      await lease.stop();
      await Promise.allSettled([...busy]);
    },
  };
}
