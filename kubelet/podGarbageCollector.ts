/**
 * The kubelet's periodic garbage collection pass (upstream: container GC every minute plus the
 * orphaned-pod cleanup of HandlePodCleanups): excess dead containers and dead sandboxes of wanted
 * pods, pod directories no pod owns any more, and host leftovers (log dirs, pod cgroups) of pods
 * no runtime holds — the latter removed only when seen in two passes in a row, so that a pod
 * another kubelet is just creating on a shared runtime is never touched.
 */
import type { Logger } from "./log.ts";
import type { Cgroups } from "./ports/cgroups.ts";
import type { Clock } from "./ports/clock.ts";
import type { Cri } from "./ports/cri.ts";
import type { Fs } from "./ports/fs.ts";
import { selectGarbage } from "./kuberuntime/containerGC.ts";
import type { PodRuntimeStatus } from "./kuberuntime/podRuntimeStatus.ts";
import { findHostLeftovers, podLogDir, removePodFiles, type PodPaths } from "./podCleanup.ts";
import type { VolumeManager } from "./volumemanager/volumeManager.ts";

/** What a pass reads and removes through. */
export interface PodGarbageCollectorDeps {
  cri: Cri;
  fs: Fs;
  cgroups: Cgroups;
  clock: Clock;
  log: Logger;
  paths: PodPaths;
  volumes?: Pick<VolumeManager, "tearDownPod">;
  /** The runtime's pods as the PLEG last listed them, one by UID, and a relist request. */
  relisted(): ReadonlyMap<string, PodRuntimeStatus>;
  relistedPod(uid: string): PodRuntimeStatus | undefined;
  wakeRelist(): void;
  /** A pod the kubelet wants now. */
  isWanted(uid: string): boolean;
  /** A pod the kubelet wants or is still stopping (its files are not garbage). */
  isKnown(uid: string): boolean;
}

export class PodGarbageCollector {
  /** Host leftovers seen by the previous pass (removed when seen again). */
  private leftovers = new Set<string>();

  constructor(private readonly d: PodGarbageCollectorDeps) {}

  /** One pass; pods no longer wanted are removed whole by their worker, not here. */
  async collect(): Promise<void> {
    const d = this.d;
    const pods = [...d.relisted().values()].filter((pod) => d.isWanted(pod.uid));
    const garbage = selectGarbage(pods, (uid) => d.isWanted(uid), d.clock.now());
    for (const { pod, container } of garbage.containers) {
      await d.cri.removeContainer(container.id).catch((err) => d.log.warn("container GC: remove failed", { id: container.id, err: String(err) }));
      await d.fs.removeAll(`${podLogDir(d.paths, pod.namespace, pod.name, pod.uid)}/${container.name}/${container.restartCount}.log`);
    }
    for (const s of garbage.sandboxes) {
      await d.cri.removePodSandbox(s.id).catch((err) => d.log.warn("sandbox GC: remove failed", { id: s.id, err: String(err) }));
    }
    for (const dir of await d.fs.readDir(`${d.paths.rootDir}/pods`).catch(() => [])) {
      const uid = dir.name;
      if (d.isKnown(uid) || d.relistedPod(uid)) continue;
      d.log.info(2, "removing orphaned pod directory", { podUID: uid });
      try {
        await d.volumes?.tearDownPod(uid);
      } catch (err) {
        d.log.warn("orphaned pod volumes not torn down yet", { podUID: uid, err: err instanceof Error ? err.message : String(err) });
        continue;
      }
      await removePodFiles(d.fs, d.cgroups, d.paths, { uid, name: "", namespace: "", sandboxes: [], containers: [] }, undefined, d.log);
    }
    await this.collectHostLeftovers();
    if (garbage.containers.length + garbage.sandboxes.length > 0) d.wakeRelist();
  }

  /** Log dirs and pod cgroups of pods that no runtime holds any more (a kubelet killed during cleanup leaves them). */
  private async collectHostLeftovers(): Promise<void> {
    const d = this.d;
    const found = await findHostLeftovers(d.fs, d.cgroups, d.cri, d.paths, (uid) => d.isKnown(uid));
    const seen = new Set<string>();
    for (const [uid, dir] of found.logDirs) {
      seen.add(dir);
      if (this.leftovers.has(dir)) await d.fs.removeAll(dir);
      else d.log.info(3, "pod log dir without a pod", { podUID: uid, dir });
    }
    for (const [uid, path] of found.cgroups) {
      seen.add(path);
      if (this.leftovers.has(path) && !(await d.cgroups.remove(path))) d.log.warn("orphaned pod cgroup not removed (processes remain)", { podUID: uid, path });
    }
    this.leftovers = seen;
  }
}
