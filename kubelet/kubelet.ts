/**
 * The kubelet's composition root: wires pod sources, pod workers, the runtime sync, PLEG and the
 * status store. Every part gets only what it needs; the host supplies the ports.
 */
import type { Pod, PodStatus } from "../bindings/kube/types.ts";
import type { Backoff } from "./backoff.ts";
import type { ResourceAccounting } from "./cm/resourceAccounting.ts";
import { podCgroupPath } from "./cm/resourceAccounting.ts";
import { QosContainerManager, type QosAccounting } from "./cm/qosContainerManager.ts";
import type { EventRecorder } from "./events/recorder.ts";
import { ImageManager } from "./images/imageManager.ts";
import type { PodPullCredentials } from "./images/pullCredentials.ts";
import type { HandlerRunner } from "./lifecycle/handlerRunner.ts";
import type { Logger } from "./log.ts";
import { setRunningCounts, type KubeletMetrics } from "./metrics/kubeletMetrics.ts";
import { GenericPleg } from "./pleg/genericPleg.ts";
import { PodWorkers } from "./podWorkers.ts";
import { podDir, removePodFiles, removePodFromRuntime, type PodPaths } from "./podCleanup.ts";
import { PodGarbageCollector } from "./podGarbageCollector.ts";
import type { CgroupLimits, Cgroups } from "./ports/cgroups.ts";
import type { Clock } from "./ports/clock.ts";
import type { Cri } from "./ports/cri.ts";
import type { Fs } from "./ports/fs.ts";
import type { ActionContext } from "./kuberuntime/computePodActions.ts";
import { killPod } from "./kuberuntime/podKiller.ts";
import type { PodRuntimeStatus } from "./kuberuntime/podRuntimeStatus.ts";
import { RuntimeReader } from "./kuberuntime/runtimeReader.ts";
import { readLogTail } from "./kuberuntime/logs.ts";
import { syncPod, type RuntimeConfigs, type SyncPodDeps } from "./kuberuntime/syncPod.ts";
import type { VolumeManager } from "./volumemanager/volumeManager.ts";
import { generatePodStatus, type ContainerProbeState, type ContainerSyncError } from "./status/generatePodStatus.ts";

const isTerminal = (phase: string | undefined) => phase === "Succeeded" || phase === "Failed";

/** Everything the kubelet is built from. */
export interface KubeletParts {
  nodeName: string;
  hostIP?: string;
  paths: PodPaths;
  cri: Cri;
  fs: Fs;
  cgroups: Cgroups;
  clock: Clock;
  log: Logger;
  events: EventRecorder;
  crashBackoff: Backoff;
  imageBackoff: Backoff;
  resources: ResourceAccounting;
  configs: RuntimeConfigs;
  hooks: HandlerRunner;
  hash: ActionContext["hash"];
  /** Probe verdicts per pod UID and container (the prober manager); none means "no probes". */
  probes?: {
    actionVerdict(uid: string, container: string): ReturnType<ActionContext["probe"]>;
    statusVerdict(uid: string, container: string): ContainerProbeState;
    containerStarted?(pod: Pod, rt: PodRuntimeStatus): void;
    podRemoved?(uid: string): void;
  };
  /** Sets up and tears down pod volumes; without it pods get no volumes. */
  volumes?: Pick<VolumeManager, "setUpPod" | "tearDownPod">;
  /**
   * QoS cgroups (cgroupsPerQOS): `/kubepods` with the node allocatable values, and the burstable and
   * besteffort tiers with cpu.shares kept current. Without it only pod cgroups are managed.
   */
  qos?: { nodeAllocatable: CgroupLimits; accounting: QosAccounting; periodMs?: number };
  /** PLEG relist period in milliseconds (upstream: 1 s). */
  relistPeriodMs?: number;
  /** Container GC period in milliseconds (upstream: 1 min). */
  gcPeriodMs?: number;
  /** Registry credentials for image pulls (pull secrets, node docker config); without it pulls are anonymous. */
  pullCredentials?: PodPullCredentials;
  /** More admission checks after resource fit (the eviction manager's); the first refusal wins. */
  admitHandlers?: ((pod: Pod) => { reason: string; message: string } | undefined)[];
  /** The kubelet's own metrics (pod workers, PLEG, pod start, running pods and containers). */
  metrics?: KubeletMetrics;
}

interface PodRecord {
  pod: Pod;
  status?: PodStatus;
  errors: Map<string, ContainerSyncError>;
  podFailure?: { reason: string; message: string; rejectedAtAdmission?: boolean };
  /** The grace period the kill of a failed pod uses instead of the pod's own (eviction). */
  graceOverrideSeconds?: number;
  /** When this kubelet first saw the pod (clock ms; kubelet_pod_start_duration_seconds). */
  firstSeen: number;
}

/** A running kubelet: set its desired pods, read their statuses. */
export class Kubelet {
  private readonly records = new Map<string, PodRecord>();
  /** The latest snapshot of each pod source. */
  private readonly sources = new Map<string, readonly Pod[]>();
  /** Specs of pods being stopped after removal (their grace period and preStop hooks still apply). */
  private readonly removed = new Map<string, Pod>();
  private readonly workers: PodWorkers;
  private readonly reader: RuntimeReader;
  private readonly pleg: GenericPleg;
  private readonly syncDeps: SyncPodDeps;
  private readonly qos?: QosContainerManager;
  private readonly listeners = new Set<(pod: Pod) => void>();
  private readonly terminatedListeners = new Set<(pod: Pod) => void>();
  /** When each pod's last sync ended (a later relist is fresh enough to sync from). */
  private readonly lastSynced = new Map<string, number>();
  private started = false;
  private gcTimer?: () => void;
  private readonly gc: PodGarbageCollector;

  constructor(private readonly parts: KubeletParts) {
    this.reader = new RuntimeReader(parts.cri, parts.nodeName, {
      readTail: (path, maxBytes) => parts.fs.readTail(path, maxBytes).catch((err) => {
        if ((err as { code?: string }).code === "ENOENT" || (err as Error).name === "NotFound") return undefined;
        throw err;
      }),
      logTail: (path, lines, maxBytes) => readLogTail(parts.fs, path, lines, maxBytes),
    });
    const m = parts.metrics;
    this.gc = new PodGarbageCollector({
      ...parts,
      relisted: () => this.pleg.all(),
      relistedPod: (uid) => this.pleg.status(uid),
      wakeRelist: () => this.pleg.wake(),
      isWanted: (uid) => this.records.has(uid),
      isKnown: (uid) => this.records.has(uid) || this.removed.has(uid),
    });
    this.workers = new PodWorkers((uid) => this.syncOne(uid), parts.clock, parts.log,
      m && ((type, ms) => m.podWorkerDuration.labels(type).observe(ms / 1000)));
    this.pleg = new GenericPleg(() => this.reader.readAll(), (uids) => uids.forEach((u) => this.workers.update(u)), parts.clock, parts.log, parts.relistPeriodMs ?? 1000,
      m && { relisted: (startedMs, durationMs, sincePreviousMs, ok) => {
        m.plegRelistDuration.observe(durationMs / 1000);
        if (sincePreviousMs !== undefined) m.plegRelistInterval.observe(sincePreviousMs / 1000);
        if (ok) m.plegLastSeen.set(Math.floor(startedMs / 1000));
      } });
    // Upstream counts these at every relist; from the last relist at scrape time is the same picture.
    m?.registry.onCollect(() => setRunningCounts(m, this.pleg.all().values()));
    const credentials = parts.pullCredentials;
    const images = new ImageManager(parts.cri, parts.events, parts.imageBackoff, () => parts.clock.now(),
      credentials && ((uid, repo) => credentials.lookup(repo, this.records.get(uid)?.pod)));
    this.syncDeps = { ...parts, images, configs: parts.configs, crashBackoff: parts.crashBackoff };
    if (parts.qos) {
      this.qos = new QosContainerManager({
        cgroups: parts.cgroups, clock: parts.clock, log: parts.log, events: parts.events, nodeName: parts.nodeName,
        cgroupRoot: parts.paths.cgroupRoot, nodeAllocatable: parts.qos.nodeAllocatable, accounting: parts.qos.accounting,
        activePods: () => this.activePods(), periodMs: parts.qos.periodMs,
      });
    }
  }

  /**
   * Replaces the desired pods of one source ("file" for static pods, "api" for the API server) with
   * `pods` (a full snapshot). New UIDs start, missing ones are stopped and cleaned up, unchanged ones
   * are left alone.
   */
  setPods(source: string, pods: readonly Pod[]): void {
    this.sources.set(source, pods);
    const wanted = new Map<string, Pod>();
    for (const list of this.sources.values()) for (const p of list) wanted.set(p.metadata.uid!, p);
    for (const [uid, rec] of this.records) {
      if (!wanted.has(uid)) {
        this.records.delete(uid);
        this.removed.set(uid, rec.pod);
        this.parts.log.info(2, "pod removed", { pod: `${rec.pod.metadata.namespace}/${rec.pod.metadata.name}`, podUID: uid });
        if (this.started) this.workers.update(uid);
      }
    }
    for (const [uid, pod] of wanted) {
      const rec = this.records.get(uid);
      if (rec) {
        const changed = rec.pod !== pod && (rec.pod.metadata.resourceVersion !== pod.metadata.resourceVersion || rec.pod.metadata.resourceVersion === undefined);
        rec.pod = pod;
        if (changed && this.started) this.workers.update(uid, "update");
        continue;
      }
      this.removed.delete(uid);
      // Admission counts only active pods (upstream filterOutTerminatedPods); a pod that is
      // already terminal is not admitted again.
      const active = this.activePods();
      const failure = isTerminal(pod.status?.phase) ? undefined : this.admit(pod, active);
      this.records.set(uid, { pod, errors: new Map(), podFailure: failure, firstSeen: this.parts.clock.now() });
      this.parts.metrics?.containersPerPodCount.observe(pod.spec.containers.length);
      if (failure) this.parts.events.event({ kind: "Pod", name: pod.metadata.name!, namespace: pod.metadata.namespace, uid }, "Warning", failure.reason, failure.message);
      this.parts.log.info(2, "pod added", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, podUID: uid });
      if (this.started) this.workers.update(uid);
    }
  }

  /** Resource fit first, then the other admit handlers (upstream's canAdmitPod order). */
  private admit(pod: Pod, active: Pod[]): { reason: string; message: string; rejectedAtAdmission: true } | undefined {
    const fit = this.parts.resources.admit(pod, active);
    if (fit) return fit;
    for (const h of this.parts.admitHandlers ?? []) {
      const refused = h(pod);
      if (refused) return { ...refused, rejectedAtAdmission: true };
    }
    return undefined;
  }

  /**
   * Evicts a running pod (the eviction manager's killPodNow): it is killed with `graceSeconds`
   * and reported Failed with `reason` and `message`; an Evicted warning event is recorded. False
   * when the pod is unknown or already failed or terminal.
   */
  evict(uid: string, graceSeconds: number, reason: string, message: string): boolean {
    const rec = this.records.get(uid);
    if (!rec || rec.podFailure || isTerminal(rec.status?.phase)) return false;
    rec.podFailure = { reason, message };
    rec.graceOverrideSeconds = graceSeconds;
    this.parts.events.event({ kind: "Pod", name: rec.pod.metadata.name!, namespace: rec.pod.metadata.namespace, uid }, "Warning", reason, message);
    if (this.started) this.workers.update(uid);
    return true;
  }

  /** The pods the eviction manager may evict: admitted, not failed, not terminal. */
  evictablePods(): Pod[] {
    return this.activePods();
  }

  /** Admitted pods that are not terminal (upstream activePods): admission and the QoS tiers count these. */
  private activePods(): Pod[] {
    return [...this.records.values()].filter((r) => !r.podFailure && !isTerminal(r.status?.phase) && !isTerminal(r.pod.status?.phase)).map((r) => r.pod);
  }

  /** Desired pods with their latest status. */
  pods(): Pod[] {
    return [...this.records.values()].map((r) => ({ ...r.pod, status: r.status ?? { phase: "Pending" } }));
  }

  /** Calls `fn` with a pod whenever its status changes. */
  onStatus(fn: (pod: Pod) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** True while the runtime answers relists (for /healthz). */
  healthy(): boolean {
    return this.pleg.healthy();
  }

  /** Starts syncing: the first relist adopts what already runs, then every desired pod syncs. */
  async start(): Promise<void> {
    await this.qos?.start();
    await this.pleg.start();
    this.started = true;
    const uids = new Set([...this.records.keys(), ...this.pleg.all().keys()]);
    for (const uid of uids) this.workers.update(uid);
    this.scheduleGc();
  }

  private scheduleGc(): void {
    this.gcTimer = this.parts.clock.setTimer(this.parts.gcPeriodMs ?? 60_000, () => {
      this.garbageCollect().catch((err) => this.parts.log.error("garbage collection failed", { err: err instanceof Error ? err.message : String(err) }))
        .finally(() => { if (this.started) this.scheduleGc(); });
    });
  }

  /** One GC pass (see PodGarbageCollector). */
  garbageCollect(): Promise<void> {
    return this.gc.collect();
  }

  /** Stops the loops; running containers keep running (a restarted kubelet adopts them). */
  async stop(): Promise<void> {
    this.started = false;
    this.gcTimer?.();
    this.qos?.stop();
    this.pleg.stop();
    await Promise.all(this.workers.uids().map((u) => this.workers.idle(u)));
  }

  /** Syncs a pod now (tests, and after events the kubelet itself caused). */
  syncNow(uid: string): Promise<void> {
    this.workers.update(uid);
    return this.workers.idle(uid);
  }

  private async syncOne(uid: string): Promise<void> {
    try {
      await this.syncRecord(uid);
    } finally {
      if (this.records.has(uid)) this.lastSynced.set(uid, this.parts.clock.now());
    }
  }

  private async syncRecord(uid: string): Promise<void> {
    const rec = this.records.get(uid);
    if (!rec) return this.terminate(uid);
    const { pod } = rec;
    const p = this.parts;
    // A relist that started after this pod's last sync is as good as a fresh read.
    const synced = this.lastSynced.get(uid);
    const listed = synced === undefined ? undefined : this.pleg.statusNewerThan(uid, synced);
    const rt = listed
      ? listed.status ?? { uid, name: pod.metadata.name!, namespace: pod.metadata.namespace!, sandboxes: [], containers: [] }
      : await this.reader.readPod(uid, pod.metadata.name!, pod.metadata.namespace!);
    let changed = true;
    const now = p.clock.now();
    if (!rec.podFailure && pod.spec.activeDeadlineSeconds !== undefined && rec.status?.startTime) {
      const started = Date.parse(rec.status.startTime);
      if (now - started >= pod.spec.activeDeadlineSeconds * 1000) {
        rec.podFailure = { reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" };
        p.events.event({ kind: "Pod", name: pod.metadata.name!, namespace: pod.metadata.namespace, uid }, "Normal", "DeadlineExceeded", rec.podFailure.message);
      }
    }
    // A pod being deleted, failed by the kubelet, or already terminal on the API server runs nothing.
    const apiPhase = pod.status?.phase;
    const stopping = rec.podFailure !== undefined || pod.metadata.deletionTimestamp !== undefined || apiPhase === "Succeeded" || apiPhase === "Failed";
    if (stopping) {
      await killPod(this.syncDeps, pod, rt, rec.graceOverrideSeconds);
      await this.qos?.update();
    } else {
      await p.fs.mkdirp(podDir(p.paths, uid));
      // The tier's shares grow before the pod's cgroup joins it (upstream UpdateQOSCgroups in syncPod).
      await this.qos?.update();
      await p.cgroups.ensure(podCgroupPath(p.paths.cgroupRoot, p.resources.qosClass(pod), uid), p.resources.podCgroupLimits(pod));
      const mountError = await p.volumes?.setUpPod(pod);
      if (mountError) {
        // Upstream: the pod waits for its volumes; containers stay ContainerCreating (FailedMount event recorded).
        rec.errors = new Map();
        this.workers.updateAfter(uid, mountError.retryAfterMs);
      } else {
        const ctx: ActionContext = { hash: p.hash, probe: (name) => p.probes?.actionVerdict(uid, name) ?? {} };
        const result = await syncPod(this.syncDeps, pod, rt, ctx);
        changed = result.changed;
        rec.errors = result.errors;
        if (result.retryAfterMs !== undefined) this.workers.updateAfter(uid, result.retryAfterMs);
      }
      if (pod.spec.activeDeadlineSeconds !== undefined) {
        const start = rec.status?.startTime ? Date.parse(rec.status.startTime) : now;
        this.workers.updateAfter(uid, Math.max(start + pod.spec.activeDeadlineSeconds * 1000 - now, 0) + 10);
      }
    }
    if (this.records.get(uid) !== rec) return;
    const fresh = changed ? await this.reader.readPod(uid, pod.metadata.name!, pod.metadata.namespace!) : rt;
    p.probes?.containerStarted?.(pod, fresh);
    this.updateStatus(rec, fresh);
    if (pod.metadata.deletionTimestamp !== undefined && !fresh.containers.some((c) => c.state === "running" || c.state === "created")) {
      for (const fn of this.terminatedListeners) fn({ ...pod, status: rec.status });
    }
  }

  /**
   * Calls `fn` when a pod that is being deleted (deletionTimestamp set) has no container left
   * running: its final status is known and the API object may be deleted.
   */
  onTerminated(fn: (pod: Pod) => void): () => void {
    this.terminatedListeners.add(fn);
    return () => this.terminatedListeners.delete(fn);
  }

  private updateStatus(rec: PodRecord, rt: PodRuntimeStatus): void {
    const p = this.parts;
    const uid = rec.pod.metadata.uid!;
    const firstSandbox = rt.sandboxes[rt.sandboxes.length - 1];
    // startTime survives kubelet restarts: from our last status, else the API's, else the first sandbox.
    const sandboxStart = firstSandbox ? { startTime: new Date(firstSandbox.createdAt).toISOString().replace(/\.\d{3}Z$/, "Z") } : undefined;
    const previous = rec.status ?? (rec.pod.status?.startTime !== undefined ? rec.pod.status : sandboxStart);
    const status = generatePodStatus(rec.pod, rt, {
      now: new Date(p.clock.now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      hostIP: p.hostIP,
      qosClass: p.resources.qosClass(rec.pod),
      previous,
      syncErrors: rec.errors,
      probes: (name) => p.probes?.statusVerdict(uid, name) ?? {},
      podFailure: rec.podFailure,
    });
    const changed = JSON.stringify(status) !== JSON.stringify(rec.status);
    // Upstream observes the time from first seeing the pod when its phase goes from Pending to Running.
    if (p.metrics && status.phase === "Running" && (rec.status === undefined || rec.status.phase === "Pending")) {
      p.metrics.podStartDuration.observe((p.clock.now() - rec.firstSeen) / 1000);
    }
    rec.status = status;
    if (changed) for (const fn of this.listeners) fn({ ...rec.pod, status });
  }

  /** Stops and removes everything of a pod that is no longer desired. */
  private async terminate(uid: string): Promise<void> {
    const p = this.parts;
    const rt = this.pleg.status(uid) ?? (await this.reader.readPod(uid, "", ""));
    // A pod removed while the kubelet was down has no spec here: rebuild its grace period and
    // preStop hooks from the container annotations, as upstream does.
    const pod: Pod = this.removed.get(uid) ?? (await this.reader.recoverPod(uid, rt.name, rt.namespace));
    const fresh = await this.reader.readPod(uid, rt.name, rt.namespace);
    await killPod(this.syncDeps, pod, fresh);
    if (this.records.has(uid)) return; // re-added meanwhile
    await removePodFromRuntime(p.cri, await this.reader.readPod(uid, rt.name, rt.namespace));
    await p.volumes?.tearDownPod(uid); // throws (keeping the pod dir) while a mount cannot come off
    await removePodFiles(p.fs, p.cgroups, p.paths, fresh, pod, p.log);
    await this.qos?.update();
    p.probes?.podRemoved?.(uid);
    this.removed.delete(uid);
    this.lastSynced.delete(uid);
    this.workers.forget(uid);
    this.pleg.wake();
  }
}
