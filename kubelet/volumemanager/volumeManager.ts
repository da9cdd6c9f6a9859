/**
 * The volume manager (upstream pkg/kubelet/volumemanager, reduced to what a pod sync needs): sets
 * up a pod's volumes before its containers start, hands out each container's CRI mounts and
 * environment lookups, rewrites data volumes (configMap, secret, downwardAPI, projected) on a
 * periodic re-sync, and tears everything down when the pod is gone. Set-up failures are values
 * (FailedMount) the pod sync turns into a waiting pod; they are also recorded as events.
 */
import type { Mount, Outgoing } from "../../bindings/cri/types.ts";
import type { Container, Pod, QuantityString } from "../../bindings/kube/types.ts";
import type { EnvEntry } from "../envvars/containerEnv.ts";
import type { EventRecorder, EventSubject } from "../events/recorder.ts";
import type { Logger } from "../log.ts";
import { ETC_HOSTS_FILE } from "../network/hostsFile.ts";
import type { Cancel, Clock } from "../ports/clock.ts";
import type { Fs } from "../ports/fs.ts";
import type { Mounter } from "../ports/mounter.ts";
import { makeMounts } from "./containerMounts.ts";
import type { ResourceValueFn } from "./downwardApi.ts";
import { loadEnvLookups, type EnvLookups } from "./envSources.ts";
import { SyncObjectCache, type ObjectSource } from "./objectSource.ts";
import { TokenManager } from "./tokenManager.ts";
import { isDataVolume, setUpVolume, volumeKind, type PluginContext } from "./volumePlugins.ts";

/** Everything the volume manager works with. */
export interface VolumeManagerOptions {
  fs: Fs;
  mounter: Mounter;
  /** ConfigMaps, Secrets, tokens: apiObjectSource(api) in cluster mode, standaloneObjectSource otherwise. */
  objects: ObjectSource;
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  /** The kubelet's --root-dir; pods live in `<rootDir>/pods/<uid>`. */
  rootDir: string;
  /** For the pod FQDN in /etc/hosts. */
  clusterDomain: string;
  /** Container resource values for downward API resourceFieldRef files. */
  resourceValue?: ResourceValueFn;
  /** Bytes of a quantity, for emptyDir sizeLimit on tmpfs. */
  quantityBytes?: (q: QuantityString) => number | undefined;
  /** How often data volumes are rewritten from their sources (upstream syncFrequency: 1 min). */
  resyncPeriodMs?: number;
  /** The node's hosts file (copied for hostNetwork pods); default /etc/hosts. */
  nodeHostsPath?: string;
  selinuxEnabled?: boolean;
  random?: () => number;
}

/** A pod whose volumes are not all set up: it must wait (containers stay ContainerCreating). */
export interface VolumeSetUpError {
  reason: "FailedMount";
  /** `MountVolume.SetUp failed for volume "x" : ...` of the first failing volume. */
  message: string;
  /** When to try again (exponential per pod, 0.5 s doubling to about 2 min, as upstream's operation backoff). */
  retryAfterMs: number;
}

interface PodVolumes {
  pod: Pod;
  /** Volumes set up since this kubelet started. */
  ready: Set<string>;
  /** Objects read during the latest sync of this pod. */
  cache: SyncObjectCache;
  failures: number;
}

const MAX_RETRY_MS = 122_000;

/** Names of the volumes some container (init or app) mounts; upstream skips the others. */
function usedVolumes(pod: Pod): Set<string> {
  const used = new Set<string>();
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) for (const m of c.volumeMounts ?? []) used.add(m.name);
  return used;
}

const subjectOf = (pod: Pod): EventSubject => ({ kind: "Pod", name: pod.metadata.name ?? "", namespace: pod.metadata.namespace, uid: pod.metadata.uid });

/** Sets up, refreshes and tears down the volumes of the pods on this node. */
export class VolumeManager {
  private readonly pods = new Map<string, PodVolumes>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly tokens: TokenManager;
  private resyncTimer?: Cancel;
  private running = false;

  constructor(private readonly o: VolumeManagerOptions) {
    this.tokens = new TokenManager(o.objects, () => o.clock.now(), o.random);
  }

  /** `<rootDir>/pods/<uid>`. */
  podDir(uid: string): string {
    return `${this.o.rootDir}/pods/${uid}`;
  }

  /**
   * Sets up every volume of `pod` its containers mount (those not set up yet); call before its
   * containers start, on every sync. Resolves to undefined when all are ready.
   */
  setUpPod(pod: Pod): Promise<VolumeSetUpError | undefined> {
    const uid = pod.metadata.uid!;
    return this.locked(uid, async () => {
      let st = this.pods.get(uid);
      if (!st) this.pods.set(uid, (st = { pod, ready: new Set(), cache: new SyncObjectCache(this.o.objects), failures: 0 }));
      st.pod = pod;
      st.cache = new SyncObjectCache(this.o.objects);
      const ctx = this.context(st.cache);
      const used = usedVolumes(pod);
      let first: string | undefined;
      for (const v of pod.spec.volumes ?? []) {
        if (!used.has(v.name) || st.ready.has(v.name)) continue;
        const err = await setUpVolume(ctx, pod, v, this.podDir(uid));
        if (err === undefined) {
          st.ready.add(v.name);
          this.o.log.info(4, "volume set up", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, volume: v.name });
          continue;
        }
        const message = `MountVolume.SetUp failed for volume ${JSON.stringify(v.name)} : ${err}`;
        this.o.events.event(subjectOf(pod), "Warning", "FailedMount", message);
        first ??= message;
      }
      if (first === undefined) {
        st.failures = 0;
        return undefined;
      }
      st.failures++;
      return { reason: "FailedMount", message: first, retryAfterMs: Math.min(500 * 2 ** (st.failures - 1), MAX_RETRY_MS) };
    });
  }

  /**
   * The CRI mounts of `container` (volumes, subPaths, /etc/hosts), or the error refusing it
   * (upstream CreateContainerConfigError). `env` is the container's final environment.
   */
  containerMounts(pod: Pod, container: Container, opts: { env: readonly EnvEntry[]; podIPs: readonly string[] }): Promise<{ mounts: Outgoing<Mount>[] } | { error: string }> {
    return makeMounts(pod, container, {
      fs: this.o.fs, mounter: this.o.mounter, podDir: this.podDir(pod.metadata.uid!), env: opts.env, podIPs: opts.podIPs,
      clusterDomain: this.o.clusterDomain, nodeHostsPath: this.o.nodeHostsPath, selinuxEnabled: this.o.selinuxEnabled, log: this.o.log,
    });
  }

  /** ConfigMap/Secret lookups for `container`'s environment, read through this sync's object cache. */
  envLookups(pod: Pod, container: Container): Promise<EnvLookups | { error: string }> {
    const cache = this.pods.get(pod.metadata.uid!)?.cache ?? new SyncObjectCache(this.o.objects);
    return loadEnvLookups(cache, pod.metadata.namespace ?? "default", container);
  }

  /**
   * Unmounts and removes every volume, subPath bind and the hosts file of pod `uid` (its containers
   * must be stopped). Works from what is on disk, so it also cleans pods of an earlier kubelet run.
   * Throws, removing nothing, when a mount under the pod directory cannot be taken off.
   */
  tearDownPod(uid: string): Promise<void> {
    return this.locked(uid, async () => {
      const podDir = this.podDir(uid);
      const mounts = (await this.o.mounter.listMounts(podDir)).map((m) => m.mountPoint);
      // Deepest first: subPath binds and nested mounts come off before what contains them.
      for (const mp of [...new Set(mounts)].sort((a, b) => b.length - a.length)) await this.o.mounter.unmount(mp);
      const left = await this.o.mounter.listMounts(podDir);
      if (left.length > 0) throw new Error(`cannot tear down volumes of pod ${uid}: still mounted: ${left.map((m) => m.mountPoint).join(", ")}`);
      await this.o.fs.removeAll(`${podDir}/volume-subpaths`);
      await this.o.fs.removeAll(`${podDir}/volumes`);
      await this.o.fs.removeAll(`${podDir}/${ETC_HOSTS_FILE}`);
      this.tokens.deleteForPod(uid);
      this.pods.delete(uid);
      this.o.log.info(4, "volumes torn down", { podUID: uid });
    });
  }

  /** Starts the periodic re-sync of data volumes. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.scheduleResync();
  }

  /** Stops the re-sync; mounted volumes stay (a restarted kubelet adopts them). */
  stop(): void {
    this.running = false;
    this.resyncTimer?.();
  }

  /**
   * Rewrites the data volumes of every known pod from their sources now (the periodic re-sync).
   * A source that cannot be read leaves the volume as it was and records a FailedMount event.
   */
  async resync(): Promise<void> {
    for (const [uid, st] of [...this.pods]) {
      await this.locked(uid, async () => {
        if (this.pods.get(uid) !== st) return;
        const ctx = this.context(new SyncObjectCache(this.o.objects));
        for (const v of st.pod.spec.volumes ?? []) {
          const kind = volumeKind(v);
          if (!st.ready.has(v.name) || !kind || !isDataVolume(kind)) continue;
          const err = await setUpVolume(ctx, st.pod, v, this.podDir(uid), true);
          if (err !== undefined) this.o.events.event(subjectOf(st.pod), "Warning", "FailedMount", `MountVolume.SetUp failed for volume ${JSON.stringify(v.name)} : ${err}`);
        }
      });
    }
  }

  private scheduleResync(): void {
    const period = this.o.resyncPeriodMs ?? 60_000;
    this.resyncTimer = this.o.clock.setTimer(period, () => {
      this.resync()
        .catch((err) => this.o.log.error("volume re-sync failed", { err: err instanceof Error ? err.message : String(err) }))
        .finally(() => { if (this.running) this.scheduleResync(); });
    });
  }

  private context(objects: ObjectSource): PluginContext {
    return {
      fs: this.o.fs, mounter: this.o.mounter, objects, tokens: this.tokens, now: () => this.o.clock.now(),
      resourceValue: this.o.resourceValue, quantityBytes: this.o.quantityBytes,
    };
  }

  /** Runs `fn` after every earlier operation on the same pod (set-up, re-sync, teardown never overlap). */
  private locked<T>(uid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(uid, tail);
    void tail.then(() => { if (this.locks.get(uid) === tail) this.locks.delete(uid); });
    return next;
  }
}
