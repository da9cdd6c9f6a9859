/**
 * Garbage collection of dead containers and sandboxes, as upstream kuberuntime's containerGC:
 * per (pod, container name) keep the newest `maxPerPodContainer` dead instances (the newest is what
 * lastState and restartCount are read from), remove older ones past `minAgeMs`; a pod that is no
 * longer wanted loses all its dead instances; dead sandboxes go unless they are a pod's newest.
 */
import type { PodRuntimeStatus, RuntimeContainer, RuntimeSandbox } from "./podRuntimeStatus.ts";

/** Upstream's container GC policy (kubelet flags --minimum-container-ttl-duration, --maximum-dead-containers-per-container). */
export interface GcPolicy { minAgeMs: number; maxPerPodContainer: number }

/** Upstream defaults: no minimum age, one dead container kept per container. */
export const DEFAULT_GC_POLICY: GcPolicy = { minAgeMs: 0, maxPerPodContainer: 1 };

/** What one GC pass removes. */
export interface Garbage { containers: { pod: PodRuntimeStatus; container: RuntimeContainer }[]; sandboxes: RuntimeSandbox[] }

/** Chooses the dead containers and sandboxes to remove — pure. */
export function selectGarbage(pods: readonly PodRuntimeStatus[], wanted: (uid: string) => boolean, now: number, policy: GcPolicy = DEFAULT_GC_POLICY): Garbage {
  const out: Garbage = { containers: [], sandboxes: [] };
  for (const pod of pods) {
    const keep = wanted(pod.uid) ? policy.maxPerPodContainer : 0;
    const byName = new Map<string, RuntimeContainer[]>();
    for (const c of pod.containers) {
      if (c.state === "running" || c.state === "unknown") continue;
      if (now - c.createdAt < policy.minAgeMs) continue;
      let list = byName.get(c.name);
      if (!list) byName.set(c.name, (list = []));
      list.push(c);
    }
    for (const list of byName.values()) {
      list.sort((a, b) => b.createdAt - a.createdAt);
      for (const c of list.slice(Math.max(keep, 0))) out.containers.push({ pod, container: c });
    }
    const removed = new Set(out.containers.filter((g) => g.pod === pod).map((g) => g.container.id));
    const live = new Set(pod.containers.filter((c) => !removed.has(c.id)).map((c) => c.sandboxId));
    const newest = pod.sandboxes[0];
    for (const s of pod.sandboxes) {
      if (s.ready || live.has(s.id)) continue;
      if (wanted(pod.uid) && s === newest) continue;
      out.sandboxes.push(s);
    }
  }
  return out;
}
