/**
 * The prober manager: keeps every container's liveness/readiness/startup probes in the Wasm core's
 * probe table, arms ONE timer for the earliest due probe, runs each due batch concurrently under a
 * cap, and reports outcomes back in batches. Transitions wake the pod's worker: liveness/startup
 * failures lead to a kill (computePodActions), readiness changes to a status update.
 */
import type { Container, Pod, Probe } from "../../bindings/kube/types.ts";
import { ProbeKind, ProbeResult, ProbeTransition, type ProbeId, type ProbeScheduler, type ProbeSpec } from "../../bindings/core/probes.ts";
import type { EventRecorder } from "../events/recorder.ts";
import type { Logger } from "../log.ts";
import type { Cancel, Clock } from "../ports/clock.ts";
import { latestContainer, type PodRuntimeStatus } from "../kuberuntime/podRuntimeStatus.ts";
import type { ProbeRunner, ProbeRunResult } from "./probeRunner.ts";

type Kind = "liveness" | "readiness" | "startup";
const KINDS: Record<Kind, ProbeKind> = { liveness: ProbeKind.Liveness, readiness: ProbeKind.Readiness, startup: ProbeKind.Startup };
const TITLE: Record<Kind, string> = { liveness: "Liveness", readiness: "Readiness", startup: "Startup" };
const OUTCOME = { success: 0, failure: 1, timeout: 2, error: 3 } as const;

interface ProbeRecord { id: ProbeId; kind: Kind; probe: Probe; uid: string; pod: Pod; container: Container; containerId: string; podIP?: string }
interface Pending { r: ProbeRecord; outcome: number }

/** ProberManager tuning and node facts. */
export interface ProberOptions {
  /** Probes running at once; the rest of a due batch waits its turn. Default 64. */
  maxConcurrent?: number;
  /** The node's IP: hostNetwork pods are probed there, as upstream probes their status.podIP. */
  hostIP?: string;
  /**
   * Told each probe run's lateness when it starts (ms from its scheduled tick to the runner call:
   * timer delay, batching, the concurrency cap). Costs one state query per due batch when set.
   */
  onRunStart?: (lateMs: number) => void;
}
interface ContainerProbes { containerId: string; records: ProbeRecord[]; livenessFailed: boolean; startupFailed: boolean }

/** Runs probes for all pods. */
export class ProberManager {
  private readonly byId = new Map<number, ProbeRecord>();
  private readonly byContainer = new Map<string, ContainerProbes>();
  private timer?: Cancel;
  private timerAt = Infinity;
  private readonly ids = new Int32Array(8192);
  private pending: Pending[] = [];
  private flushQueued = false;
  private active = 0;
  private queue: ProbeRecord[] = [];
  /** Scheduled tick of each queued run, parallel to `queue` (only with options.onRunStart). */
  private queueDue: number[] = [];
  private queueHead = 0;
  private stopped = false;
  private readonly maxConcurrent: number;

  constructor(
    private readonly scheduler: ProbeScheduler,
    private readonly runner: ProbeRunner,
    private readonly clock: Clock,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    /** Wakes a pod's worker after a transition. */
    private readonly onTransition: (uid: string) => void,
    private readonly options: ProberOptions = {},
  ) {
    this.maxConcurrent = options.maxConcurrent ?? 64;
  }

  /** Probe results for computePodActions. */
  actionVerdict(uid: string, name: string): { livenessFailed?: boolean; startupFailed?: boolean; started?: boolean } {
    const c = this.byContainer.get(`${uid}/${name}`);
    if (!c) return {};
    return { livenessFailed: c.livenessFailed, startupFailed: c.startupFailed, started: this.result(c, "startup") };
  }

  /** Probe results for generatePodStatus: readiness and started, when the container has such probes. */
  statusVerdict(uid: string, name: string): { ready?: boolean; started?: boolean } {
    const c = this.byContainer.get(`${uid}/${name}`);
    if (!c) return {};
    return { ready: this.result(c, "readiness"), started: this.result(c, "startup") };
  }

  private result(c: ContainerProbes, kind: Kind): boolean | undefined {
    const r = c.records.find((x) => x.kind === kind);
    if (!r) return undefined;
    return this.scheduler.state([r.id])[0]?.result === ProbeResult.Success;
  }

  /** Brings the pod's probes in line with its running containers (called after each pod sync). */
  syncPod(pod: Pod, rt: PodRuntimeStatus): void {
    const uid = pod.metadata.uid!;
    const now = this.clock.now();
    const specs = [...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === "Always"), ...pod.spec.containers];
    const sandbox = rt.sandboxes.find((s) => s.ready);
    const podIP = sandbox?.hostNetwork || pod.spec.hostNetwork ? this.options.hostIP : sandbox?.ips[0];
    for (const container of specs) {
      const key = `${uid}/${container.name}`;
      const latest = latestContainer(rt, container.name);
      const existing = this.byContainer.get(key);
      const running = latest?.state === "running" ? latest : undefined;
      if (existing && existing.containerId !== running?.id) this.removeKey(key, now);
      if (!running || this.byContainer.has(key)) continue;
      const kinds = (["startup", "liveness", "readiness"] as Kind[]).filter((k) => container[`${k}Probe`]);
      if (kinds.length === 0) continue;
      const startedAt = running.startedAt || now;
      const hasStartup = kinds[0] === "startup";
      const probeSpecs: ProbeSpec[] = kinds.map((k) => {
        const p = container[`${k}Probe`]!;
        return {
          kind: KINDS[k], periodSeconds: p.periodSeconds ?? 10, initialDelaySeconds: p.initialDelaySeconds ?? 0,
          timeoutSeconds: p.timeoutSeconds ?? 1, successThreshold: p.successThreshold ?? 1, failureThreshold: p.failureThreshold ?? 3,
          containerStartedAt: startedAt, ...(hasStartup && k !== "startup" ? { gatedByIndex: 0 } : {}),
        };
      });
      let ids: ProbeId[];
      try {
        ids = this.scheduler.add(probeSpecs, now);
      } catch (err) {
        this.log.warn("probe rejected", { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, container: container.name, err: (err as Error).message });
        continue;
      }
      const records = kinds.map((k, i): ProbeRecord => ({ id: ids[i]!, kind: k, probe: container[`${k}Probe`]!, uid, pod, container, containerId: running.id, podIP }));
      for (const r of records) this.byId.set(r.id, r);
      this.byContainer.set(key, { containerId: running.id, records, livenessFailed: false, startupFailed: false });
    }
    for (const key of [...this.byContainer.keys()]) {
      if (key.startsWith(`${uid}/`) && !specs.some((c) => key === `${uid}/${c.name}`)) this.removeKey(key, now);
    }
    this.arm();
  }

  /** Drops every probe of a pod (it stopped or was removed). */
  removePod(uid: string): void {
    const now = this.clock.now();
    for (const key of [...this.byContainer.keys()]) if (key.startsWith(`${uid}/`)) this.removeKey(key, now);
  }

  /** Stops probing: no timer is armed again; results still in flight are dropped. */
  stop(): void {
    this.stopped = true;
    this.timer?.();
    this.timer = undefined;
  }

  private removeKey(key: string, now: number): void {
    const c = this.byContainer.get(key);
    if (!c) return;
    this.byContainer.delete(key);
    for (const r of c.records) this.byId.delete(r.id);
    this.scheduler.remove(c.records.map((r) => r.id), now);
  }

  private arm(): void {
    if (this.stopped) return;
    const next = this.scheduler.nextDue();
    if (next === this.timerAt && this.timer) return;
    this.timer?.();
    this.timer = undefined;
    this.timerAt = next;
    if (!Number.isFinite(next)) return;
    this.timer = this.clock.setTimer(Math.max(next - this.clock.now(), 0), () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.tick();
    });
  }

  private tick(): void {
    const now = this.clock.now();
    let n: number;
    do {
      n = this.scheduler.due(now, this.ids);
      // While in flight a probe's state.due is the tick that fired.
      const dues = this.options.onRunStart && n > 0 ? this.scheduler.state(Array.from(this.ids.subarray(0, n)) as ProbeId[]) : undefined;
      for (let i = 0; i < n; i++) {
        // Every handed-out id has a record: removeKey takes ids out of the table and the map together.
        const r = this.byId.get(this.ids[i]!);
        if (!r) continue;
        this.queue.push(r);
        if (dues) this.queueDue.push(dues[i]?.due ?? now);
      }
    } while (n === this.ids.length);
    this.pump();
    this.arm();
  }

  private pump(): void {
    if (this.stopped) return;
    while (this.active < this.maxConcurrent && this.queueHead < this.queue.length) {
      const due = this.queueDue[this.queueHead];
      const r = this.queue[this.queueHead++]!;
      if (this.byId.get(r.id) !== r) continue; // removed while it waited
      if (due !== undefined) this.options.onRunStart?.(this.clock.now() - due);
      this.active++;
      const target = { pod: r.pod, container: r.container, containerId: r.containerId, podIP: r.podIP };
      void this.runner.run(r.probe, target).catch((err: unknown): ProbeRunResult => ({ outcome: "error", message: String(err) })).then((res) => {
        this.active--;
        this.record(r, res);
        this.pump();
      });
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueDue = [];
      this.queueHead = 0;
    }
  }

  /** Whether `r` is still the live record of its id (ids are reused after removal). */
  private live(r: ProbeRecord): boolean {
    return this.byId.get(r.id) === r;
  }

  private record(r: ProbeRecord, res: ProbeRunResult): void {
    if (this.stopped || !this.live(r)) return; // stopped, or the container went away while the probe ran
    const subject = { kind: "Pod" as const, name: r.pod.metadata.name!, namespace: r.pod.metadata.namespace, uid: r.uid, fieldPath: `spec.containers{${r.container.name}}` };
    // upstream prober.go: "<Kind> probe errored: <err>" when the probe could not run, else "failed".
    if (res.outcome === "error") this.events.event(subject, "Warning", "Unhealthy", `${TITLE[r.kind]} probe errored: ${res.message.trim()}`);
    else if (res.outcome !== "success") this.events.event(subject, "Warning", "Unhealthy", `${TITLE[r.kind]} probe failed: ${res.message.trim()}`);
    else if (res.warning !== undefined) this.events.event(subject, "Warning", "ProbeWarning", `${TITLE[r.kind]} probe warning: ${res.warning}`);
    this.pending.push({ r, outcome: OUTCOME[res.outcome] });
    if (!this.flushQueued) {
      this.flushQueued = true;
      this.clock.setTimer(0, () => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    const batch = this.pending.filter((p) => this.live(p.r));
    this.pending = [];
    if (batch.length === 0) return this.arm();
    const ids = Int32Array.from(batch.map((b) => b.r.id));
    const outcomes = Int32Array.from(batch.map((b) => b.outcome));
    const transitions = new Int32Array(batch.length);
    this.scheduler.report(batch.length, ids, outcomes, this.clock.now(), transitions);
    const wake = new Set<string>();
    batch.forEach(({ r }, i) => {
      const t = transitions[i]!;
      if (t <= ProbeTransition.None) return;
      const c = this.byContainer.get(`${r.uid}/${r.container.name}`);
      if (c && t === ProbeTransition.LivenessFailed) c.livenessFailed = true;
      if (c && t === ProbeTransition.StartupFailed) c.startupFailed = true;
      wake.add(r.uid);
    });
    for (const uid of wake) this.onTransition(uid);
    this.arm();
  }
}
