/**
 * Container log rotation, as upstream's container log manager does it for CRI runtimes: every 10 s,
 * each running container whose log file has reached `containerLogMaxSize` gets its log renamed to
 * `<log>.<YYYYMMDD-hhmmss>` and the runtime is told to reopen it (ReopenContainerLog; on failure
 * the rename is undone). Before that, rotated files of the same log are tidied: leftover `.tmp`
 * files and uncompressed copies that already have a `.gz` are removed, the oldest rotated files go
 * until at most `containerLogMaxFiles - 2` remain (with the one being rotated and the live log,
 * `containerLogMaxFiles` in all), and the rest are gzip-compressed.
 */
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import type { Cri } from "../ports/cri.ts";
import type { Fs } from "../ports/fs.ts";

/** Upstream's logMonitorPeriod. */
export const LOG_MONITOR_PERIOD_MS = 10_000;
const COMPRESS_SUFFIX = ".gz";
const TMP_SUFFIX = ".tmp";

/** KubeletConfiguration containerLogMaxSize (bytes) and containerLogMaxFiles. */
export interface LogRotatePolicy { maxSizeBytes: number; maxFiles: number }

/** What the manager works with. */
export interface ContainerLogManagerDeps {
  cri: Pick<Cri, "listContainers" | "containerStatus" | "reopenContainerLog">;
  fs: Fs;
  clock: Clock;
  log: Logger;
  policy: LogRotatePolicy;
  /** Only these containers (the kubelet's own, by label); all when absent. */
  labelSelector?: Record<string, string>;
}

/** `<YYYYMMDD-hhmmss>` in UTC, upstream's rotation timestamp format ("20060102-150405"). */
export function rotationTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Rotates container logs; `start()` runs it every 10 s, `rotateOnce()` is one pass. */
export class ContainerLogManager {
  private stopTimer?: () => void;
  private running?: Promise<void>;
  /** Log paths by container ID (a container's log path never changes): one ContainerStatus per container, not per pass. */
  private readonly logPaths = new Map<string, string>();

  constructor(private readonly d: ContainerLogManagerDeps) {}

  /** Starts the periodic pass. */
  start(): void {
    const tick = () => {
      this.running = this.rotateOnce().finally(() => {
        this.running = undefined;
        if (this.stopTimer) this.stopTimer = this.d.clock.setTimer(LOG_MONITOR_PERIOD_MS, tick);
      });
    };
    this.stopTimer = this.d.clock.setTimer(LOG_MONITOR_PERIOD_MS, tick);
  }

  /** Stops the periodic pass and waits for one in progress. */
  async stop(): Promise<void> {
    const cancel = this.stopTimer;
    this.stopTimer = undefined;
    cancel?.();
    await this.running;
  }

  /** One pass over the running containers; never throws (failures are logged per container). */
  async rotateOnce(): Promise<void> {
    let containers;
    try {
      containers = await this.d.cri.listContainers({ state: { state: "CONTAINER_RUNNING" }, ...(this.d.labelSelector ? { labelSelector: this.d.labelSelector } : {}) });
    } catch (err) {
      this.d.log.error("log rotation: cannot list containers", { err: (err as Error).message });
      return;
    }
    const running = new Set<string>();
    for (const c of containers) {
      if (c.state !== "CONTAINER_RUNNING") continue;
      running.add(c.id);
      try {
        let path = this.logPaths.get(c.id);
        if (path === undefined) {
          path = (await this.d.cri.containerStatus(c.id)).status?.logPath ?? "";
          this.logPaths.set(c.id, path);
        }
        if (!path) continue;
        const info = await this.d.fs.stat(path);
        // A missing live log (e.g. a failed rotation earlier): ask the runtime to create it again.
        if (!info) {
          await this.d.cri.reopenContainerLog(c.id);
          continue;
        }
        if (info.size < this.d.policy.maxSizeBytes) continue;
        await this.rotate(c.id, path);
      } catch (err) {
        this.d.log.error("log rotation failed", { container: c.id, err: (err as Error).message });
      }
    }
    for (const id of this.logPaths.keys()) if (!running.has(id)) this.logPaths.delete(id);
  }

  private async rotate(id: string, path: string): Promise<void> {
    let rotated = await this.rotatedFiles(path);
    rotated = await this.cleanupUnused(rotated);
    rotated = await this.removeExcess(rotated);
    for (const f of rotated) if (!f.endsWith(COMPRESS_SUFFIX)) await this.compress(f);
    const target = `${path}.${rotationTimestamp(this.d.clock.now())}`;
    await this.d.fs.rename(path, target);
    try {
      await this.d.cri.reopenContainerLog(id);
    } catch (err) {
      // The runtime keeps writing to the renamed file: put it back under the live name.
      await this.d.fs.rename(target, path).catch((e2) => this.d.log.error("log rotation: cannot restore the log", { path, err: (e2 as Error).message }));
      throw err;
    }
    this.d.log.info(4, "rotated container log", { container: id, path, to: target });
  }

  /** Every `<log>.*` file, sorted (timestamps sort as text). */
  private async rotatedFiles(path: string): Promise<string[]> {
    const slash = path.lastIndexOf("/");
    const dir = path.slice(0, slash) || "/";
    const prefix = `${path.slice(slash + 1)}.`;
    const entries = await this.d.fs.readDir(dir);
    return entries.filter((e) => e.isFile && e.name.startsWith(prefix)).map((e) => `${dir}/${e.name}`).sort();
  }

  /** Removes `.tmp` leftovers and uncompressed files whose `.gz` exists. */
  private async cleanupUnused(files: string[]): Promise<string[]> {
    const set = new Set(files);
    const keep: string[] = [];
    for (const f of files) {
      if (f.endsWith(TMP_SUFFIX) || (!f.endsWith(COMPRESS_SUFFIX) && set.has(`${f}${COMPRESS_SUFFIX}`))) await this.d.fs.removeAll(f);
      else keep.push(f);
    }
    return keep;
  }

  /** Keeps the newest `maxFiles - 2` rotated files. */
  private async removeExcess(files: string[]): Promise<string[]> {
    const max = Math.max(0, this.d.policy.maxFiles - 2);
    const excess = files.length - max;
    for (let i = 0; i < excess; i++) await this.d.fs.removeAll(files[i]!);
    return files.slice(Math.max(0, excess));
  }

  /** `<f>` -> `<f>.gz` through `<f>.gz.tmp`, then removes `<f>`. */
  private async compress(f: string): Promise<void> {
    const tmp = `${f}${COMPRESS_SUFFIX}${TMP_SUFFIX}`;
    await this.d.fs.writeFileAtomic(tmp, await gzip(await this.d.fs.readFile(f)), 0o640);
    await this.d.fs.rename(tmp, `${f}${COMPRESS_SUFFIX}`);
    await this.d.fs.removeAll(f);
  }
}
