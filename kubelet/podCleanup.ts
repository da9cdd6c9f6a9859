/**
 * Removing what a pod leaves behind once it is no longer wanted: its containers and sandboxes in
 * the runtime, its directory under the kubelet root, its log directory and its pod cgroup.
 */
import type { Pod } from "../bindings/kube/types.ts";
import type { Logger } from "./log.ts";
import type { Cgroups } from "./ports/cgroups.ts";
import { isCriError, type Cri } from "./ports/cri.ts";
import type { Fs } from "./ports/fs.ts";
import type { PodRuntimeStatus } from "./kuberuntime/podRuntimeStatus.ts";
import { podCgroupPath } from "./cm/resourceAccounting.ts";

/** Where a pod's files live. */
export interface PodPaths { rootDir: string; podLogsDir: string; cgroupRoot: string }

/** `<rootDir>/pods/<uid>`: the pod's own directory (volumes, container termination logs). */
export const podDir = (paths: PodPaths, uid: string) => `${paths.rootDir}/pods/${uid}`;

/** `/var/log/pods/<ns>_<name>_<uid>`: the pod's log directory, as upstream names it. */
export const podLogDir = (paths: PodPaths, namespace: string, name: string, uid: string) => `${paths.podLogsDir}/${namespace}_${name}_${uid}`;

/** Removes every container and sandbox of the pod from the runtime (they must be stopped first). */
export async function removePodFromRuntime(cri: Cri, rt: PodRuntimeStatus): Promise<void> {
  for (const c of rt.containers) {
    await cri.removeContainer(c.id).catch((err) => { if (!isCriError(err, "NotFound")) throw err; });
  }
  for (const s of rt.sandboxes) {
    await cri.stopPodSandbox(s.id).catch((err) => { if (!isCriError(err, "NotFound")) throw err; });
    await cri.removePodSandbox(s.id).catch((err) => { if (!isCriError(err, "NotFound")) throw err; });
  }
}

/** Removes the pod's directories and cgroups (all QoS tiers, since the pod's class may be unknown). */
export async function removePodFiles(fs: Fs, cgroups: Cgroups, paths: PodPaths, rt: PodRuntimeStatus, pod: Pod | undefined, log: Logger): Promise<void> {
  await fs.removeAll(podDir(paths, rt.uid));
  const name = pod?.metadata.name ?? rt.name;
  const ns = pod?.metadata.namespace ?? rt.namespace;
  if (name && ns) await fs.removeAll(podLogDir(paths, ns, name, rt.uid));
  for (const qos of ["Guaranteed", "Burstable", "BestEffort"] as const) {
    const path = podCgroupPath(paths.cgroupRoot, qos, rt.uid);
    if (await cgroups.exists(path)) {
      if (!(await cgroups.remove(path))) log.warn("pod cgroup not removed yet (processes remain)", { path });
    }
  }
}

/** Host leftovers of pods: log directories and pod cgroups, by pod UID. */
export interface HostLeftovers { logDirs: Map<string, string>; cgroups: Map<string, string> }

/**
 * Log directories and pod cgroups whose pod UID has no sandbox in the runtime at all (whichever
 * kubelet made it) and is not in `known`: what a kubelet killed mid-cleanup leaves behind.
 */
export async function findHostLeftovers(fs: Fs, cgroups: Cgroups, cri: Cri, paths: PodPaths, known: (uid: string) => boolean): Promise<HostLeftovers> {
  const inRuntime = new Set((await cri.listPodSandbox()).map((s) => s.labels["io.kubernetes.pod.uid"] ?? s.metadata?.uid ?? ""));
  const orphan = (uid: string) => uid !== "" && !known(uid) && !inRuntime.has(uid);
  const out: HostLeftovers = { logDirs: new Map(), cgroups: new Map() };
  for (const d of await fs.readDir(paths.podLogsDir).catch(() => [])) {
    const uid = d.name.slice(d.name.lastIndexOf("_") + 1);
    if (d.isDirectory && d.name.split("_").length >= 3 && orphan(uid)) out.logDirs.set(uid, `${paths.podLogsDir}/${d.name}`);
  }
  const base = `${paths.cgroupRoot.replace(/\/+$/, "")}/kubepods`;
  for (const tier of [base, `${base}/burstable`, `${base}/besteffort`]) {
    for (const child of await cgroups.children(tier)) {
      if (child.startsWith("pod") && orphan(child.slice(3))) out.cgroups.set(child.slice(3), `${tier}/${child}`);
    }
  }
  return out;
}
