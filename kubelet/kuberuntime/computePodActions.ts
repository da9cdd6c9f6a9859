/**
 * computePodActions: what the runtime must do to move a pod toward its spec — pure.
 * Mirrors upstream kuberuntime's computePodActions (v1.20) plus restartable init containers
 * (sidecars, `restartPolicy: Always` on an init container).
 */
import type { Container, Pod } from "../../bindings/kube/types.ts";
import { latestContainer, type PodRuntimeStatus, type RuntimeContainer } from "./podRuntimeStatus.ts";

/** A running container to stop, with the reason recorded in the Killing event. */
export interface ContainerToKill {
  id: string;
  name: string;
  reason: string;
  message: string;
  /** The probe whose failure caused the kill (its terminationGracePeriodSeconds applies), if any. */
  probe?: "livenessProbe" | "startupProbe";
}

/** The actions of one pod sync. */
export interface PodActions {
  /** Stop every container and the sandbox (before re-creating the sandbox, or because the pod is done). */
  killPod: boolean;
  createSandbox: boolean;
  /** The sandbox to start containers in, when it is kept. */
  sandboxId?: string;
  /** Attempt number for a new sandbox. */
  attempt: number;
  /** Indices into spec.initContainers to start, in order. */
  initContainersToStart: number[];
  /** Indices into spec.containers to start. */
  containersToStart: number[];
  containersToKill: ContainerToKill[];
}

/** Probe verdicts and spec hashing the decision needs. */
export interface ActionContext {
  hash(container: Container): string;
  /** Liveness/startup probes that failed past their thresholds for the running instance. */
  probe(containerName: string): { livenessFailed?: boolean; startupFailed?: boolean; started?: boolean };
}

const isSidecar = (c: Container) => c.restartPolicy === "Always";

/** Upstream's ShouldContainerBeRestarted for a container that is not running. */
export function shouldRestart(latest: RuntimeContainer | undefined, restartPolicy: string): boolean {
  if (!latest || latest.state === "unknown") return true;
  if (latest.state === "running") return false;
  if (restartPolicy === "Never") return false;
  if (restartPolicy === "OnFailure") return latest.exitCode !== 0;
  return true;
}

function succeeded(latest: RuntimeContainer | undefined): boolean {
  return latest !== undefined && latest.state === "exited" && latest.exitCode === 0;
}

/** True when every regular init container's latest instance exited 0 (sidecars do not count). */
function initDone(pod: Pod, rt: PodRuntimeStatus): boolean {
  return (pod.spec.initContainers ?? []).every((c) => isSidecar(c) || succeeded(latestContainer(rt, c.name)));
}

/** Why a running container must be killed, or undefined to keep it. */
function killReason(c: Container, latest: RuntimeContainer, ctx: ActionContext): Omit<ContainerToKill, "id" | "name"> | undefined {
  if (latest.hash !== ctx.hash(c)) return { reason: "Killing", message: `Container ${c.name} definition changed, will be restarted` };
  const p = ctx.probe(c.name);
  if (p.livenessFailed) return { reason: "Killing", message: `Container ${c.name} failed liveness probe, will be restarted`, probe: "livenessProbe" };
  if (p.startupFailed) return { reason: "Killing", message: `Container ${c.name} failed startup probe, will be restarted`, probe: "startupProbe" };
  return undefined;
}

function sandboxChanged(pod: Pod, rt: PodRuntimeStatus): { changed: boolean; attempt: number; sandboxId?: string } {
  const newest = rt.sandboxes[0];
  if (!newest) return { changed: true, attempt: 0 };
  const attempt = newest.attempt + 1;
  const ready = rt.sandboxes.filter((s) => s.ready);
  if (ready.length > 1) return { changed: true, attempt };
  if (!newest.ready) return { changed: true, attempt };
  if (!pod.spec.hostNetwork && newest.ips.length === 0) return { changed: true, attempt };
  return { changed: false, attempt: newest.attempt, sandboxId: newest.id };
}

/** Decides the runtime actions for one sync of `pod` given what the runtime holds. */
export function computePodActions(pod: Pod, rt: PodRuntimeStatus, ctx: ActionContext): PodActions {
  const restartPolicy = pod.spec.restartPolicy ?? "Always";
  const inits = pod.spec.initContainers ?? [];
  const actions: PodActions = { killPod: false, createSandbox: false, attempt: 0, initContainersToStart: [], containersToStart: [], containersToKill: [] };
  const sb = sandboxChanged(pod, rt);
  actions.attempt = sb.attempt;
  actions.sandboxId = sb.sandboxId;

  if (sb.changed) {
    // A pod that never restarts and has run before is done: no new sandbox.
    if (restartPolicy === "Never" && sb.attempt !== 0 && rt.containers.length > 0) {
      actions.killPod = rt.sandboxes.some((s) => s.ready) || rt.containers.some((c) => c.state === "running");
      return actions;
    }
    const toStart = pod.spec.containers.flatMap((c, i) =>
      restartPolicy === "OnFailure" && succeeded(latestContainer(rt, c.name)) ? [] : [i]);
    // Nothing left to run once initialization is done: no new sandbox (upstream checks
    // findNextInitContainerToRun's done here, so a finished OnFailure pod is not re-initialized).
    if (toStart.length === 0 && initDone(pod, rt)) {
      actions.killPod = rt.sandboxes.some((s) => s.ready);
      return actions;
    }
    actions.killPod = rt.sandboxes.length > 0 || rt.containers.some((c) => c.state === "running");
    actions.createSandbox = true;
    actions.sandboxId = undefined;
    if (inits.length > 0) actions.initContainersToStart = [0];
    else actions.containersToStart = toStart;
    return actions;
  }

  // Init containers run in order: a regular one must exit 0, a sidecar must be running and started.
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    const latest = latestContainer(rt, c.name);
    if (isSidecar(c)) {
      if (!latest || latest.state !== "running") {
        actions.initContainersToStart.push(i);
        return actions;
      }
      const kill = killReason(c, latest, ctx);
      if (kill) {
        actions.containersToKill.push({ id: latest.id, name: c.name, ...kill });
        actions.initContainersToStart.push(i);
        return actions;
      }
      if (ctx.probe(c.name).started === false) return actions;
      continue;
    }
    if (succeeded(latest)) continue;
    if (latest && latest.state === "running") return actions;
    const failed = latest !== undefined;
    if (failed && restartPolicy === "Never") {
      actions.killPod = true;
      return actions;
    }
    actions.initContainersToStart.push(i);
    return actions;
  }

  let keep = 0;
  pod.spec.containers.forEach((c, i) => {
    const latest = latestContainer(rt, c.name);
    if (!latest || latest.state !== "running") {
      if (shouldRestart(latest, restartPolicy)) actions.containersToStart.push(i);
      return;
    }
    const kill = killReason(c, latest, ctx);
    if (!kill) {
      keep++;
      return;
    }
    actions.containersToKill.push({ id: latest.id, name: c.name, ...kill });
    if (restartPolicy !== "Never") actions.containersToStart.push(i);
  });
  if (keep === 0 && actions.containersToStart.length === 0) actions.killPod = true;
  return actions;
}
