/**
 * generatePodStatus: the pod's API status from its spec and what the runtime holds — pure.
 * Mirrors the upstream kubelet's generateAPIPodStatus / convertToAPIContainerStatuses / getPhase
 * and the condition generators of pkg/kubelet/status (v1.20).
 */
import type { Container, ContainerState, ContainerStatus, Pod, PodCondition, PodPhase, PodStatus } from "../../bindings/kube/types.ts";
import { latestContainer, previousContainer, type PodRuntimeStatus, type RuntimeContainer } from "../kuberuntime/podRuntimeStatus.ts";

/** Why the last sync could not start a container (upstream's reasonCache), e.g. CrashLoopBackOff. */
export interface ContainerSyncError { reason: string; message: string }

/** Probe verdicts for a running container; undefined fields mean "no such probe". */
export interface ContainerProbeState { ready?: boolean; started?: boolean }

/** Inputs besides the spec and runtime status. */
export interface PodStatusInputs {
  /** RFC 3339 time of this status. */
  now: string;
  hostIP?: string;
  qosClass: "Guaranteed" | "Burstable" | "BestEffort";
  /** The status generated before (keeps startTime and condition transition times). */
  previous?: PodStatus;
  syncErrors?: ReadonlyMap<string, ContainerSyncError>;
  probes?: (containerName: string) => ContainerProbeState;
  /**
   * A pod-level terminal verdict (e.g. DeadlineExceeded, or an admission failure, which upstream's
   * rejectPod reports as phase, reason and "Pod " + message only).
   */
  podFailure?: { reason: string; message: string; rejectedAtAdmission?: boolean };
}

const isoFromMs = (ms: number) => (ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined);

function terminatedState(c: RuntimeContainer): ContainerState {
  return {
    terminated: {
      exitCode: c.exitCode,
      reason: c.reason || (c.exitCode === 0 ? "Completed" : "Error"),
      ...(c.message ? { message: c.message } : {}),
      startedAt: isoFromMs(c.startedAt),
      finishedAt: isoFromMs(c.finishedAt),
      containerID: `containerd://${c.id}`,
    },
  };
}

function runtimeState(c: RuntimeContainer): ContainerState {
  switch (c.state) {
    case "running":
      return { running: { startedAt: isoFromMs(c.startedAt) } };
    // A created-but-not-started container is treated as exited, as upstream does.
    case "created":
    case "exited":
      return terminatedState(c);
    default:
      return { waiting: {} };
  }
}

function containerStatuses(pod: Pod, rt: PodRuntimeStatus, specs: Container[], isInit: boolean, inputs: PodStatusInputs): ContainerStatus[] {
  const hasInit = (pod.spec.initContainers?.length ?? 0) > 0;
  const defaultReason = hasInit ? "PodInitializing" : "ContainerCreating";
  return specs.map((spec): ContainerStatus => {
    const latest = latestContainer(rt, spec.name);
    const status: ContainerStatus = {
      name: spec.name,
      state: { waiting: { reason: defaultReason } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: spec.image ?? "",
      imageID: "",
      started: false,
    };
    if (latest) {
      status.state = runtimeState(latest);
      status.restartCount = latest.restartCount;
      status.imageID = latest.imageRef;
      status.containerID = `containerd://${latest.id}`;
      const prev = previousContainer(rt, spec.name);
      if (prev && latest.restartCount > 0 && prev.state !== "running") status.lastState = terminatedState(prev);
    }
    const err = inputs.syncErrors?.get(spec.name);
    const succeededInit = isInit && status.state.terminated?.exitCode === 0;
    if (err && !status.state.running && !succeededInit) {
      if (status.state.terminated) status.lastState = status.state;
      status.state = { waiting: { reason: err.reason, message: err.message } };
    }
    const running = status.state.running !== undefined;
    const probe = inputs.probes?.(spec.name) ?? {};
    if (isInit) {
      status.ready = spec.restartPolicy === "Always" ? running && (probe.ready ?? true) : status.state.terminated?.exitCode === 0;
      status.started = running && (probe.started ?? true);
    } else {
      status.started = running && (probe.started ?? true);
      status.ready = status.started && (probe.ready ?? true);
    }
    return status;
  });
}

/** Upstream's getPhase: the pod phase from its container statuses and restart policy. */
export function podPhase(pod: Pod, init: ContainerStatus[], app: ContainerStatus[]): PodPhase {
  const restartPolicy = pod.spec.restartPolicy ?? "Always";
  let pendingInit = 0;
  let failedInit = 0;
  for (const [i, s] of init.entries()) {
    if (pod.spec.initContainers?.[i]?.restartPolicy === "Always") {
      if (!s.state.running || !s.started) pendingInit++;
      continue;
    }
    if (s.state.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state.waiting && s.lastState.terminated && s.lastState.terminated.exitCode !== 0) {
      failedInit++;
    } else {
      pendingInit++;
    }
  }
  let unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  for (const s of app) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (failedInit > 0 && restartPolicy === "Never") return "Failed";
  if (pendingInit > 0 || failedInit > 0) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0 && unknown === 0) return "Running";
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    return restartPolicy === "OnFailure" ? "Running" : "Failed";
  }
  return "Pending";
}

function condition(type: string, ok: boolean, reason?: string, message?: string): PodCondition {
  return { type, status: ok ? "True" : "False", lastProbeTime: null, ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
}

function readinessCondition(type: string, names: string[], statuses: ContainerStatus[], phase: PodPhase, reason: string, unreadyWord: string): PodCondition {
  const unknown: string[] = [];
  const unready: string[] = [];
  for (const name of names) {
    const s = statuses.find((x) => x.name === name);
    if (!s) unknown.push(name);
    else if (!s.ready) unready.push(name);
  }
  if (phase === "Succeeded" && unknown.length === 0) return condition(type, type === "Initialized", "PodCompleted");
  const msgs: string[] = [];
  if (unknown.length) msgs.push(`containers with unknown status: [${unknown.join(" ")}]`);
  if (unready.length) msgs.push(`containers with ${unreadyWord} status: [${unready.join(" ")}]`);
  return msgs.length ? condition(type, false, reason, msgs.join(", ")) : condition(type, true);
}

/** Keeps lastTransitionTime from the previous status while a condition's status is unchanged. */
function withTransitionTimes(conds: PodCondition[], previous: PodCondition[] | undefined, now: string): PodCondition[] {
  return conds.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now };
  });
}

/** The pod's status as the kubelet reports it. */
export function generatePodStatus(pod: Pod, rt: PodRuntimeStatus, inputs: PodStatusInputs): PodStatus {
  const failure = inputs.podFailure;
  if (failure?.rejectedAtAdmission) {
    // Nothing of the pod ever ran: no conditions, container statuses, IPs or QoS class.
    return { phase: "Failed", reason: failure.reason, message: `Pod ${failure.message}`, startTime: inputs.previous?.startTime ?? inputs.now };
  }
  const initSpecs = pod.spec.initContainers ?? [];
  const init = containerStatuses(pod, rt, initSpecs, true, inputs);
  const app = containerStatuses(pod, rt, pod.spec.containers, false, inputs);
  let phase = podPhase(pod, init, app);
  if (inputs.podFailure) phase = "Failed";
  // Upstream refuses "illegal phase transitions": a terminal phase already reported stays.
  const before = inputs.previous?.phase;
  if ((before === "Succeeded" || before === "Failed") && phase !== before) phase = before;
  const initialized = readinessCondition("Initialized", initSpecs.map((c) => c.name), init, phase, "ContainersNotInitialized", "incomplete");
  const containersReady = readinessCondition("ContainersReady", pod.spec.containers.map((c) => c.name), app, phase, "ContainersNotReady", "unready");
  const ready: PodCondition = { ...containersReady, type: "Ready" };
  const conditions = withTransitionTimes(
    [initialized, ready, containersReady, condition("PodScheduled", true)],
    inputs.previous?.conditions,
    inputs.now,
  );
  const sandbox = rt.sandboxes.find((s) => s.ready) ?? rt.sandboxes[0];
  const status: PodStatus = {
    phase,
    conditions,
    ...(inputs.podFailure ? { reason: inputs.podFailure.reason, message: inputs.podFailure.message } : {}),
    ...(inputs.hostIP ? { hostIP: inputs.hostIP } : {}),
    startTime: inputs.previous?.startTime ?? inputs.now,
    containerStatuses: app,
    qosClass: inputs.qosClass,
  };
  const ips = sandbox?.hostNetwork ? (inputs.hostIP ? [inputs.hostIP] : []) : sandbox?.ips ?? [];
  if (ips.length > 0) {
    status.podIP = ips[0];
    status.podIPs = ips.map((ip) => ({ ip }));
  }
  if (initSpecs.length > 0) status.initContainerStatuses = init;
  return status;
}
