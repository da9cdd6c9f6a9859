/**
 * Pod workers: one serialized worker per pod UID. A sync for a pod never overlaps another sync of
 * the same pod; updates that arrive while a sync runs coalesce into one follow-up sync.
 */
import type { Clock, Cancel } from "./ports/clock.ts";
import type { Logger } from "./log.ts";

/** Why a pod syncs (upstream's SyncPodType): its first sync, a changed spec, or anything else. */
export type PodSyncType = "create" | "update" | "sync";

interface WorkerState {
  running: boolean;
  pending: boolean;
  /** The worker has run a sync (later syncs are not "create"). */
  synced: boolean;
  /** A spec change is waiting to be synced. */
  updated: boolean;
  timer?: Cancel;
  timerAt?: number;
  idle?: Promise<void>;
  resolveIdle?: () => void;
}

/** Schedules syncs per pod UID; `sync` does the work and is never called concurrently for one UID. */
export class PodWorkers {
  private readonly workers = new Map<string, WorkerState>();

  constructor(
    private readonly sync: (uid: string) => Promise<void>,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** Called after each sync with its type and duration (kubelet_pod_worker_duration_seconds). */
    private readonly onSynced?: (type: PodSyncType, durationMs: number) => void,
  ) {}

  /**
   * Requests a sync of `uid` now (coalesced with any request already waiting); `type` "update"
   * when the pod's spec changed.
   */
  update(uid: string, type?: "update"): void {
    const w = this.state(uid);
    if (type === "update") w.updated = true;
    if (w.running) {
      w.pending = true;
      return;
    }
    void this.run(uid, w);
  }

  /** Requests a sync of `uid` after `ms` (keeps the earliest of several delayed requests). */
  updateAfter(uid: string, ms: number): void {
    const w = this.state(uid);
    const at = this.clock.now() + ms;
    if (w.timer && w.timerAt !== undefined && w.timerAt <= at) return;
    w.timer?.();
    w.timerAt = at;
    w.timer = this.clock.setTimer(ms, () => {
      w.timer = undefined;
      w.timerAt = undefined;
      this.update(uid);
    });
  }

  /** Drops a pod's worker (after its final sync); pending timers are cancelled. */
  forget(uid: string): void {
    const w = this.workers.get(uid);
    if (!w) return;
    w.timer?.();
    if (!w.running) this.workers.delete(uid);
  }

  /** UIDs with a worker. */
  uids(): string[] {
    return [...this.workers.keys()];
  }

  /** Resolves when no sync of `uid` is running or pending (for orderly shutdown and tests). */
  async idle(uid: string): Promise<void> {
    const w = this.workers.get(uid);
    if (!w || (!w.running && !w.pending)) return;
    w.idle ??= new Promise((resolve) => (w.resolveIdle = resolve));
    await w.idle;
  }

  private state(uid: string): WorkerState {
    let w = this.workers.get(uid);
    if (!w) {
      w = { running: false, pending: false, synced: false, updated: false };
      this.workers.set(uid, w);
    }
    return w;
  }

  private async run(uid: string, w: WorkerState): Promise<void> {
    w.running = true;
    do {
      w.pending = false;
      const type: PodSyncType = !w.synced ? "create" : w.updated ? "update" : "sync";
      w.synced = true;
      w.updated = false;
      const started = this.clock.now();
      try {
        await this.sync(uid);
      } catch (err) {
        // A sync failure must never stop the worker or other pods; the next event retries.
        this.log.error("pod sync failed", { podUID: uid, err: err instanceof Error ? err.message : String(err) });
      }
      this.onSynced?.(type, this.clock.now() - started);
    } while (w.pending);
    w.running = false;
    w.resolveIdle?.();
    w.idle = undefined;
    w.resolveIdle = undefined;
  }
}
