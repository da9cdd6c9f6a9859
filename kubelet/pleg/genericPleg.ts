/**
 * PLEG (pod lifecycle event generator), as upstream's GenericPLEG: relists the runtime every
 * period (1 s), keeps the latest PodRuntimeStatus per pod UID, and reports the UIDs whose sandboxes
 * or containers changed state. `wake()` relists at once (after the kubelet's own CRI calls), so a
 * sync sees its effects without waiting for the period.
 */
import type { Logger } from "../log.ts";
import type { Cancel, Clock } from "../ports/clock.ts";
import type { PodRuntimeStatus } from "../kuberuntime/podRuntimeStatus.ts";

/**
 * Relist timings for metrics (upstream's kubelet_pleg_relist_duration_seconds, _interval_seconds
 * and kubelet_pleg_last_seen_seconds), all in milliseconds of the PLEG's clock.
 */
export interface PlegObserver {
  /**
   * A relist started at `startedMs` took `durationMs`; `sincePreviousMs` is the time since the
   * previous successful relist started (undefined before the first); `ok` is false when it failed.
   */
  relisted(startedMs: number, durationMs: number, sincePreviousMs: number | undefined, ok: boolean): void;
}

/** Reads every pod the runtime holds (our own sandboxes and containers only). */
export type RuntimeReader = () => Promise<PodRuntimeStatus[]>;

function fingerprint(p: PodRuntimeStatus): string {
  const sb = p.sandboxes.map((s) => `${s.id}:${s.ready ? 1 : 0}:${s.ips.join(",")}`).sort().join(";");
  const ct = p.containers.map((c) => `${c.id}:${c.state}:${c.exitCode}`).sort().join(";");
  return `${sb}|${ct}`;
}

/** Relists the runtime and reports changed pods. */
export class GenericPleg {
  private pods = new Map<string, PodRuntimeStatus>();
  private prints = new Map<string, string>();
  private timer?: Cancel;
  private running = false;
  private again = false;
  private stopped = true;
  private lastRelist = 0;
  /** When the relist that produced `pods` started (clock ms); -Infinity before the first. */
  private listedSince = -Infinity;
  private relistFailed = false;

  constructor(
    private readonly read: RuntimeReader,
    private readonly onChange: (uids: string[]) => void,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly periodMs = 1000,
    private readonly observer?: PlegObserver,
  ) {}

  /** The latest runtime status of a pod (undefined when the runtime holds nothing of it). */
  status(uid: string): PodRuntimeStatus | undefined {
    return this.pods.get(uid);
  }

  /**
   * The pod's status from a relist that started strictly after `since` (clock ms), as upstream's
   * pod cache GetNewerThan: a sync that last touched the pod at `since` can use it instead of
   * reading the runtime again. `undefined` when the last relist is not that recent; `{}` (no
   * status) when that relist found nothing of the pod.
   */
  statusNewerThan(uid: string, since: number): { status?: PodRuntimeStatus } | undefined {
    if (!(this.listedSince > since)) return undefined;
    const status = this.pods.get(uid);
    return status ? { status } : {};
  }

  /** All pods the runtime holds, by UID. */
  all(): ReadonlyMap<string, PodRuntimeStatus> {
    return this.pods;
  }

  /** True when the last relist succeeded within 3 minutes (upstream's PLEG health check). */
  healthy(): boolean {
    return !this.relistFailed && this.clock.now() - this.lastRelist < 3 * 60_000;
  }

  /** Starts periodic relisting; the first relist completes before this resolves. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.();
  }

  /** Relists now (coalesced with a relist already running). */
  wake(): void {
    void this.relist();
  }

  /** One relist; resolves when it (and any relist requested meanwhile) is done. */
  async relist(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.timer?.();
    try {
      do {
        this.again = false;
        await this.once();
      } while (this.again);
    } finally {
      this.running = false;
      if (!this.stopped) this.timer = this.clock.setTimer(this.periodMs, () => void this.relist());
    }
  }

  private async once(): Promise<void> {
    let list: PodRuntimeStatus[];
    const started = this.clock.now();
    const sincePrevious = this.listedSince === -Infinity ? undefined : started - this.listedSince;
    try {
      list = await this.read();
    } catch (err) {
      if (!this.relistFailed) this.log.error("PLEG relist failed", { err: err instanceof Error ? err.message : String(err) });
      this.relistFailed = true;
      this.observer?.relisted(started, this.clock.now() - started, sincePrevious, false);
      return;
    }
    this.relistFailed = false;
    this.lastRelist = this.clock.now();
    this.listedSince = started;
    const next = new Map(list.map((p) => [p.uid, p]));
    const changed: string[] = [];
    for (const [uid, p] of next) {
      const fp = fingerprint(p);
      if (this.prints.get(uid) !== fp) {
        changed.push(uid);
        this.prints.set(uid, fp);
      }
    }
    for (const uid of this.pods.keys()) {
      if (!next.has(uid)) {
        changed.push(uid);
        this.prints.delete(uid);
      }
    }
    this.pods = next;
    this.observer?.relisted(started, this.lastRelist - started, sincePrevious, true);
    if (changed.length > 0) this.onChange(changed);
  }
}
