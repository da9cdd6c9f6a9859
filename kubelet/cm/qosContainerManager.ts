/**
 * The QoS-level cgroups (upstream cm/qos_container_manager_linux.go, cgroupfs driver, cgroup v1):
 * `/kubepods` (node allocatable enforcement), `/kubepods/burstable` and `/kubepods/besteffort`.
 * Guaranteed pods sit directly under `/kubepods`.
 *
 * cpu.shares: besteffort gets the minimum (2) so it only runs on otherwise idle CPU; burstable gets
 * the shares of the summed cpu requests of the active burstable pods, so the tier competes with
 * guaranteed pods in proportion to what it asked for. Recomputed when pods start or go (the kubelet
 * calls `update()`), and every minute as upstream's periodic loop does.
 *
 * Memory QoS reservation (upstream experimentalQOSReserved, the QOSReserved feature gate) is off by
 * default and not implemented: the burstable and besteffort tiers get no memory limit.
 */
import type { Pod } from "../../bindings/kube/types.ts";
import type { EventRecorder } from "../events/recorder.ts";
import type { Logger } from "../log.ts";
import type { CgroupLimits, Cgroups } from "../ports/cgroups.ts";
import type { Clock } from "../ports/clock.ts";
import { NODE_ALLOCATABLE_CGROUP } from "./nodeContainerManager.ts";
import type { QosClass } from "./resourceAccounting.ts";

/** Upstream MinShares: the least cpu.shares the kernel takes. */
export const MIN_SHARES = 2;

/** Upstream's periodic QoS reconcile period (1 minute). */
export const QOS_PERIOD_MS = 60_000;

/** The accounting the QoS tiers need (CoreResourceAccounting implements it over the core). */
export interface QosAccounting {
  qosClass(pod: Pod): QosClass;
  /** The pod's effective cpu request in milli-CPU (init containers, sidecars and overhead included). */
  podCpuRequestMilli(pod: Pod): number;
  /** cpu.shares for a milli-CPU amount (upstream MilliCPUToShares). */
  cpuShares(milli: number): number;
}

/** cpu.shares of the two QoS tiers (upstream setCPUCgroupConfig). */
export function qosCpuShares(activePods: readonly Pod[], accounting: QosAccounting): { burstable: number; besteffort: number } {
  let burstableMilli = 0;
  for (const pod of activePods) {
    if (accounting.qosClass(pod) === "Burstable") burstableMilli += accounting.podCpuRequestMilli(pod);
  }
  return { burstable: Math.max(accounting.cpuShares(burstableMilli), MIN_SHARES), besteffort: MIN_SHARES };
}

/** The QoS cgroup paths under a cgroupRoot (cgroupfs names). */
export function qosCgroupPaths(cgroupRoot: string): { kubepods: string; burstable: string; besteffort: string } {
  const kubepods = `${cgroupRoot.replace(/\/+$/, "")}/${NODE_ALLOCATABLE_CGROUP}`;
  return { kubepods, burstable: `${kubepods}/burstable`, besteffort: `${kubepods}/besteffort` };
}

/** What the QoS container manager is built from. */
export interface QosContainerManagerDeps {
  cgroups: Cgroups;
  clock: Clock;
  log: Logger;
  /** Node events (NodeAllocatableEnforced / FailedNodeAllocatableEnforcement), as upstream records them. */
  events?: EventRecorder;
  nodeName: string;
  cgroupRoot: string;
  /** `/kubepods` values (nodeAllocatableCgroupLimits). */
  nodeAllocatable: CgroupLimits;
  accounting: QosAccounting;
  /** Pods admitted and not terminal (upstream activePods). */
  activePods(): readonly Pod[];
  periodMs?: number;
}

const describe = (failures: { file: string; value: number; message: string }[]) =>
  failures.map((f) => `${f.file}=${f.value}: ${f.message}`).join("; ");

/** Creates the QoS cgroups, enforces node allocatable on `/kubepods`, keeps the tiers' cpu.shares current. */
export class QosContainerManager {
  private readonly paths: ReturnType<typeof qosCgroupPaths>;
  /** The burstable cpu.shares last applied; undefined forces the next write. */
  private applied?: number;
  private allocatableEnforced = false;
  /** Serializes updates: pod workers call update() concurrently. */
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private stopTimer?: () => void;

  constructor(private readonly deps: QosContainerManagerDeps) {
    this.paths = qosCgroupPaths(deps.cgroupRoot);
  }

  /**
   * Creates `/kubepods` with the node allocatable values and the two tiers (before any pod runs),
   * then starts the periodic loop. Write failures are logged and retried by the loop, never thrown:
   * e.g. a memory limit below what the pods already use is refused until eviction frees memory.
   */
  async start(): Promise<void> {
    const { cgroups, log } = this.deps;
    try {
      await cgroups.ensure(this.paths.kubepods);
      await this.enforceNodeAllocatable();
      await cgroups.ensure(this.paths.besteffort);
      await cgroups.ensure(this.paths.burstable);
    } catch (err) {
      log.error("failed to create the QoS cgroups", { cgroupRoot: this.deps.cgroupRoot, err: err instanceof Error ? err.message : String(err) });
    }
    await this.update();
    this.schedule();
  }

  /** Stops the periodic loop; the cgroups stay (pods keep running under them). */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** Recomputes the tiers' cpu.shares from the active pods and writes what changed. */
  update(): Promise<void> {
    if (this.pending) return this.chain;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      await this.apply();
    });
    return this.chain;
  }

  /** Forgets what was applied, so the next update writes every value again (the periodic loop). */
  private async reconcile(): Promise<void> {
    this.applied = undefined;
    if (!this.allocatableEnforced) await this.enforceNodeAllocatable();
    await this.update();
  }

  private schedule(): void {
    this.stopTimer = this.deps.clock.setTimer(this.deps.periodMs ?? QOS_PERIOD_MS, () => {
      this.reconcile().catch(() => {}).finally(() => { if (this.stopTimer) this.schedule(); });
    });
  }

  private async enforceNodeAllocatable(): Promise<void> {
    const { cgroups, log, events, nodeName, nodeAllocatable } = this.deps;
    const node = { kind: "Node" as const, name: nodeName, uid: nodeName };
    let message: string;
    try {
      const failures = await cgroups.set(this.paths.kubepods, nodeAllocatable);
      if (failures.length === 0) {
        this.allocatableEnforced = true;
        log.info(2, "node allocatable enforced", { cgroup: this.paths.kubepods, ...nodeAllocatable });
        events?.event(node, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods");
        return;
      }
      message = describe(failures);
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    log.warn("failed to enforce node allocatable (retrying every minute)", { cgroup: this.paths.kubepods, err: message });
    events?.event(node, "Warning", "FailedNodeAllocatableEnforcement", `Failed to update Node Allocatable Limits ["${this.paths.kubepods}"]: ${message}`);
  }

  private async apply(): Promise<void> {
    const { cgroups, log, accounting } = this.deps;
    let shares: { burstable: number; besteffort: number };
    try {
      shares = qosCpuShares(this.deps.activePods(), accounting);
    } catch (err) {
      log.error("failed to compute QoS cgroup values", { err: err instanceof Error ? err.message : String(err) });
      return;
    }
    if (shares.burstable === this.applied) return;
    try {
      const failures = [
        ...(await cgroups.set(this.paths.besteffort, { cpuShares: shares.besteffort })),
        ...(await cgroups.set(this.paths.burstable, { cpuShares: shares.burstable })),
      ];
      if (failures.length > 0) {
        this.applied = undefined;
        log.warn("failed to update the QoS cgroups", { cgroup: this.paths.kubepods, err: describe(failures) });
        return;
      }
      this.applied = shares.burstable;
      log.info(4, "QoS cgroups updated", { burstableCpuShares: shares.burstable, besteffortCpuShares: shares.besteffort });
    } catch (err) {
      this.applied = undefined;
      log.warn("failed to update the QoS cgroups", { cgroup: this.paths.kubepods, err: err instanceof Error ? err.message : String(err) });
    }
  }
}
