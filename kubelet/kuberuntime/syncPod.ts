/**
 * syncPod: drives one pod toward its spec through CRI, as upstream kuberuntime's SyncPod:
 * compute the actions (pure), kill what must go, create the sandbox if needed, then start init
 * containers one at a time and app containers, each behind the CrashLoopBackOff and image checks.
 * Failures become per-container sync errors (the waiting reasons of the pod status), never throws
 * for a pod-level problem.
 */
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { ContainerConfig, Outgoing, PodSandboxConfig } from "../../bindings/cri/types.ts";
import type { Backoff } from "../backoff.ts";
import { formatGoDuration } from "../config/goDuration.ts";
import type { EventSubject } from "../events/recorder.ts";
import type { ImageManager } from "../images/imageManager.ts";
import type { Fs } from "../ports/fs.ts";
import type { ContainerSyncError } from "../status/generatePodStatus.ts";
import { computePodActions, type ActionContext } from "./computePodActions.ts";
import { sandboxStartGate, type ConcurrencyGate } from "./concurrencyGate.ts";
import { killContainer, killPod, podGracePeriodSeconds, type KillDeps } from "./podKiller.ts";
import { latestContainer, type PodRuntimeStatus, type RuntimeContainer } from "./podRuntimeStatus.ts";
import { runtimeErrorMessage, runtimeErrorText } from "./runtimeErrorText.ts";
import type { ImageUser } from "./securityContext.ts";

/** Builds the CRI configs of a pod (implemented with kuberuntime's sandbox/container config makers). */
export interface RuntimeConfigs {
  sandbox(pod: Pod, attempt: number):
    { config: Outgoing<PodSandboxConfig>; warnings: { reason: string; message: string }[] } | { error: ContainerSyncError };
  container(pod: Pod, container: Container, opts: { restartCount: number; podIPs: string[]; imageRef: string; imageUser?: ImageUser }):
    Promise<{ config: Outgoing<ContainerConfig> } | { error: ContainerSyncError }>;
}

/** What syncPod needs. */
export interface SyncPodDeps extends KillDeps {
  fs: Fs;
  images: ImageManager;
  configs: RuntimeConfigs;
  crashBackoff: Backoff;
  /** Bounds concurrent RunPodSandbox calls; default: one gate per runtime connection (sandboxStartGate). */
  sandboxStarts?: ConcurrencyGate;
}

/** The outcome of one sync: errors per container and when to look again. */
export interface SyncPodResult {
  errors: Map<string, ContainerSyncError>;
  /** Milliseconds until a back-off expires and the pod should be synced again. */
  retryAfterMs?: number;
  /** False when the sync found nothing to do (the runtime state it read is still current). */
  changed: boolean;
}

/** Upstream's format.Pod: name_namespace(uid). */
export const formatPod = (pod: Pod) => `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;

function subjectOf(pod: Pod, container?: Container, init = false): EventSubject {
  return {
    kind: "Pod", name: pod.metadata.name!, namespace: pod.metadata.namespace, uid: pod.metadata.uid,
    ...(container ? { fieldPath: `spec.${init ? "initContainers" : "containers"}{${container.name}}` } : {}),
  };
}

/** Runs one sync of `pod` given what the runtime holds for it. */
export async function syncPod(deps: SyncPodDeps, pod: Pod, rt: PodRuntimeStatus, ctx: ActionContext): Promise<SyncPodResult> {
  const actions = computePodActions(pod, rt, ctx);
  const changed = actions.killPod || actions.createSandbox || actions.containersToKill.length > 0 ||
    actions.initContainersToStart.length > 0 || actions.containersToStart.length > 0;
  const result: SyncPodResult = { errors: new Map(), changed };
  if (actions.killPod) {
    await killPod(deps, pod, rt);
    if (!actions.createSandbox) return result;
  } else {
    const podIP = rt.sandboxes[0]?.ips[0];
    await Promise.all(actions.containersToKill.map((k) => {
      const c = rt.containers.find((x) => x.id === k.id)!;
      // A probe-caused kill uses that probe's terminationGracePeriodSeconds when it sets one.
      const spec = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((s) => s.name === k.name);
      const probeGrace = k.probe ? spec?.[k.probe]?.terminationGracePeriodSeconds : undefined;
      return killContainer(deps, pod, c, k.message, probeGrace ?? podGracePeriodSeconds(pod), podIP);
    }));
  }

  let sandboxId = actions.sandboxId;
  let podIPs = rt.sandboxes[0]?.ips ?? [];
  const madeSandbox = deps.configs.sandbox(pod, actions.attempt);
  if ("error" in madeSandbox) {
    deps.events.event(subjectOf(pod), "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${madeSandbox.error.message}`);
    for (const c of pod.spec.containers) result.errors.set(c.name, { reason: "CreateContainerConfigError", message: madeSandbox.error.message });
    return result;
  }
  const sandboxConfig = madeSandbox.config;
  if (actions.createSandbox) {
    for (const w of madeSandbox.warnings) deps.events.event(subjectOf(pod), "Warning", w.reason, w.message);
    try {
      await deps.fs.mkdirp(sandboxConfig.logDirectory!);
      // at most a few sandboxes start at once (see concurrencyGate.ts): in a burst, pods come up one
      // after another instead of all together at the end
      const gate = deps.sandboxStarts ?? sandboxStartGate(deps.cri, deps.clock);
      sandboxId = await gate.run(() => deps.cri.runPodSandbox(sandboxConfig, pod.spec.runtimeClassName ?? "", { timeoutMs: 4 * 60_000 }));
      const st = await deps.cri.podSandboxStatus(sandboxId);
      const net = st.status?.network;
      podIPs = net?.ip ? [net.ip, ...net.additionalIps.map((x) => x.ip)] : [];
    } catch (err) {
      const message = runtimeErrorText(err);
      deps.events.event(subjectOf(pod), "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${message}`);
      deps.log.error("RunPodSandbox failed", { pod: formatPod(pod), err: message });
      for (const c of pod.spec.containers) result.errors.set(c.name, { reason: "CreateContainerError", message: `Failed to create pod sandbox: ${message}` });
      result.retryAfterMs = 10_000;
      return result;
    }
  }
  if (!sandboxId) return result;

  const start = async (c: Container, init: boolean): Promise<boolean> => {
    const err = await startContainer(deps, pod, rt, c, init, sandboxId!, sandboxConfig, podIPs, ctx, result);
    if (err) result.errors.set(c.name, err);
    return err === undefined;
  };
  for (const i of actions.initContainersToStart) {
    if (!(await start(pod.spec.initContainers![i]!, true))) break;
  }
  for (const i of actions.containersToStart) await start(pod.spec.containers[i]!, false);
  return result;
}

/** The newest instance of container `name` that has exited, if any. */
function newestExited(rt: PodRuntimeStatus, name: string): RuntimeContainer | undefined {
  let best: RuntimeContainer | undefined;
  for (const x of rt.containers) if (x.name === name && x.state === "exited" && (!best || x.createdAt > best.createdAt)) best = x;
  return best;
}

async function startContainer(
  deps: SyncPodDeps, pod: Pod, rt: PodRuntimeStatus, c: Container, init: boolean, sandboxId: string,
  sandboxConfig: Outgoing<PodSandboxConfig>, podIPs: string[], ctx: ActionContext, result: SyncPodResult,
): Promise<ContainerSyncError | undefined> {
  const subject = subjectOf(pod, c, init);
  const latest = latestContainer(rt, c.name);
  const now = deps.clock.now();
  // upstream doBackOff: the newest *exited* instance decides. When this sync just killed the running
  // one (liveness/startup failure), `rt` still shows it running and the one before it counts;
  // looking only at the newest instance would restart probe-killed containers without any backoff.
  const exited = newestExited(rt, c.name);
  if (exited) {
    const key = `${pod.metadata.name}_${pod.metadata.namespace}_${pod.metadata.uid}_${c.name}_${ctx.hash(c)}`;
    const finished = exited.finishedAt || now;
    if (deps.crashBackoff.inBackoffSince(key, finished, now)) {
      const delay = deps.crashBackoff.get(key);
      deps.events.event(subject, "Warning", "BackOff", "Back-off restarting failed container");
      const remaining = finished + delay - now;
      result.retryAfterMs = Math.min(result.retryAfterMs ?? Infinity, Math.max(remaining, 100));
      return { reason: "CrashLoopBackOff", message: `back-off ${formatGoDuration(delay)} restarting failed container=${c.name} pod=${formatPod(pod)}` };
    }
    deps.crashBackoff.next(key, finished, now);
  }
  const image = await deps.images.ensureImage(pod.metadata.uid!, subject, c, sandboxConfig);
  if ("error" in image) {
    // upstream startContainer: every image error is also a "Failed" event naming the error.
    deps.events.event(subject, "Warning", "Failed", `Error: ${image.error.reason}`);
    if (image.error.reason === "ImagePullBackOff" || image.error.reason === "ErrImagePull") result.retryAfterMs = Math.min(result.retryAfterMs ?? Infinity, 10_000);
    return image.error;
  }
  const restartCount = latest ? latest.restartCount + 1 : 0;
  const made = await deps.configs.container(pod, c, { restartCount, podIPs, imageRef: image.imageRef, imageUser: image.user });
  if ("error" in made) {
    deps.events.event(subject, "Warning", "Failed", `Error: ${made.error.message}`);
    result.retryAfterMs = Math.min(result.retryAfterMs ?? Infinity, 10_000);
    return made.error;
  }
  let id: string;
  try {
    id = await deps.cri.createContainer(sandboxId, made.config, sandboxConfig);
  } catch (err) {
    const message = runtimeErrorMessage(err);
    deps.events.event(subject, "Warning", "Failed", `Error: ${message}`);
    result.retryAfterMs = Math.min(result.retryAfterMs ?? Infinity, 10_000);
    return { reason: "CreateContainerError", message };
  }
  deps.events.event(subject, "Normal", "Created", `Created container ${c.name}`);
  try {
    await deps.cri.startContainer(id);
  } catch (err) {
    const message = runtimeErrorMessage(err);
    deps.events.event(subject, "Warning", "Failed", `Error: ${message}`);
    return { reason: "RunContainerError", message };
  }
  deps.events.event(subject, "Normal", "Started", `Started container ${c.name}`);
  const postStart = c.lifecycle?.postStart;
  if (postStart) {
    const err = await deps.hooks.run(id, pod, c, postStart, podIPs[0], podGracePeriodSeconds(pod) * 1000);
    if (err) {
      deps.events.event(subject, "Warning", "FailedPostStartHook", err.message);
      const instance: RuntimeContainer = {
        id, name: c.name, sandboxId, restartCount, hash: ctx.hash(c), state: "running", createdAt: now, startedAt: now,
        finishedAt: 0, exitCode: 0, reason: "", message: "", image: c.image ?? "", imageRef: image.imageRef,
      };
      await killContainer(deps, pod, instance, "FailedPostStartHook", podGracePeriodSeconds(pod), podIPs[0]);
      // upstream returns fmt.Errorf("%s: %v", ErrPostStartHook, handlerErr); its text is the reason.
      return { reason: `PostStartHookError: ${err.error}`, message: err.message };
    }
  }
  return undefined;
}
