/**
 * Stopping containers and pods gracefully, as upstream kuberuntime's killContainer / killPodWithSyncResult:
 * the preStop hook runs first inside the grace period, then CRI StopContainer (SIGTERM, SIGKILL after
 * the remaining grace), then the sandbox is stopped.
 */
import type { Container, Pod } from "../../bindings/kube/types.ts";
import type { EventRecorder } from "../events/recorder.ts";
import type { HandlerRunner } from "../lifecycle/handlerRunner.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import { isCriError, type Cri } from "../ports/cri.ts";
import type { PodRuntimeStatus, RuntimeContainer } from "./podRuntimeStatus.ts";

/** Upstream's floor for a stop timeout, in seconds. */
export const MINIMUM_GRACE_PERIOD_SECONDS = 2;

/** What killing needs. */
export interface KillDeps { cri: Cri; hooks: HandlerRunner; events: EventRecorder; clock: Clock; log: Logger }

/** The grace period of a pod being stopped: the deletion's, else the spec's, else 30 s. */
export function podGracePeriodSeconds(pod: Pod): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
}

/** Finds a container's spec among init and app containers. */
export function containerSpec(pod: Pod, name: string): Container | undefined {
  return pod.spec.containers.find((c) => c.name === name) ?? pod.spec.initContainers?.find((c) => c.name === name);
}

/** Stops one running container: preStop hook, then StopContainer with what remains of the grace period. */
export async function killContainer(
  deps: KillDeps, pod: Pod, c: RuntimeContainer, message: string, graceSeconds: number, podIP?: string,
): Promise<void> {
  const spec = containerSpec(pod, c.name);
  const subject = { kind: "Pod" as const, name: pod.metadata.name!, namespace: pod.metadata.namespace, uid: pod.metadata.uid, fieldPath: `spec.containers{${c.name}}` };
  deps.events.event(subject, "Normal", "Killing", message || `Stopping container ${c.name}`);
  let grace = graceSeconds;
  const preStop = spec?.lifecycle?.preStop;
  if (preStop && c.state === "running" && grace > 0) {
    const t0 = deps.clock.now();
    const err = await deps.hooks.run(c.id, pod, spec!, preStop, podIP, grace * 1000);
    if (err) {
      deps.events.event(subject, "Warning", "FailedPreStopHook", err.message);
    }
    grace -= Math.floor((deps.clock.now() - t0) / 1000);
  }
  grace = Math.max(grace, MINIMUM_GRACE_PERIOD_SECONDS);
  try {
    await deps.cri.stopContainer(c.id, grace, { timeoutMs: (grace + 30) * 1000 });
  } catch (err) {
    if (!isCriError(err, "NotFound")) throw err;
  }
}

/** Stops every running container of the pod (in parallel), then its ready sandboxes. */
export async function killPod(deps: KillDeps, pod: Pod, rt: PodRuntimeStatus, graceSeconds = podGracePeriodSeconds(pod)): Promise<void> {
  const podIP = rt.sandboxes[0]?.ips[0];
  const sidecars = new Set((pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always").map((c) => c.name));
  const running = rt.containers.filter((c) => c.state === "running" || c.state === "created");
  // App containers first, sidecars after them, as for restartable init containers upstream.
  await Promise.all(running.filter((c) => !sidecars.has(c.name)).map((c) => killContainer(deps, pod, c, "", graceSeconds, podIP)));
  await Promise.all(running.filter((c) => sidecars.has(c.name)).map((c) => killContainer(deps, pod, c, "", graceSeconds, podIP)));
  for (const s of rt.sandboxes) {
    if (!s.ready) continue;
    try {
      await deps.cri.stopPodSandbox(s.id);
    } catch (err) {
      if (!isCriError(err, "NotFound")) throw err;
    }
  }
}
