/**
 * Image garbage collection, as upstream 1.20's image GC manager: the kubelet keeps a record of every
 * image the runtime holds (first detected, last used by a container, size); every 5 minutes, when
 * the image filesystem's usage is at or over imageGCHighThresholdPercent, it removes unused images
 * — least recently used first, then oldest detected, never one detected less than
 * imageMinimumGCAge ago — until usage is down to imageGCLowThresholdPercent. Images present when the
 * kubelet starts count as detected long ago (upstream's first detection uses the zero time). The
 * eviction manager calls deleteUnusedImages() to reclaim disk before evicting pods.
 */
import type { Logger } from "../log.ts";
import type { Clock } from "../ports/clock.ts";
import type { Cri } from "../ports/cri.ts";

/** Upstream's ImageGCPeriod. */
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

/** KubeletConfiguration imageGCHighThresholdPercent, imageGCLowThresholdPercent, imageMinimumGCAge. */
export interface ImageGCPolicy { highThresholdPercent: number; lowThresholdPercent: number; minAgeMs: number }

/** Checks a policy with upstream's messages; throws on an invalid one. */
export function validateImageGCPolicy(p: ImageGCPolicy): void {
  if (p.highThresholdPercent < 0 || p.highThresholdPercent > 100) throw new Error(`invalid HighThresholdPercent ${p.highThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent < 0 || p.lowThresholdPercent > 100) throw new Error(`invalid LowThresholdPercent ${p.lowThresholdPercent}, must be in range [0-100]`);
  if (p.lowThresholdPercent > p.highThresholdPercent) {
    throw new Error(`LowThresholdPercent ${p.lowThresholdPercent} can not be higher than HighThresholdPercent ${p.highThresholdPercent}`);
  }
}

interface ImageRecord { firstDetected: number; lastUsed: number; size: number }

export interface ImageGCDeps {
  cri: Pick<Cri, "listImages" | "listContainers" | "removeImage" | "imageStatus">;
  clock: Clock;
  log: Logger;
  policy: ImageGCPolicy;
  /** The image filesystem's capacity and available bytes (statfs of the runtime's image mount). */
  imageFs(): Promise<{ capacityBytes?: number; availableBytes?: number } | undefined>;
  /** The sandbox (pause) image, always counted as in use. */
  sandboxImage?: string;
  /** Warning event on the node. */
  nodeEvent(reason: string, message: string): void;
}

export class ImageGCManager {
  private readonly records = new Map<string, ImageRecord>();
  private initialized = false;
  private failedBefore = false;
  private stopTimer?: () => void;
  private running?: Promise<void>;

  constructor(private readonly d: ImageGCDeps) {
    validateImageGCPolicy(d.policy);
  }

  /** Images the runtime holds and which of them containers (or sandboxes) use; updates the records. */
  async detectImages(now: number): Promise<Set<string>> {
    const inUse = new Set<string>();
    if (this.d.sandboxImage) {
      const st = await this.d.cri.imageStatus({ image: this.d.sandboxImage }).catch(() => undefined);
      if (st?.image?.id) inUse.add(st.image.id);
    }
    const [images, containers] = await Promise.all([this.d.cri.listImages(), this.d.cri.listContainers()]);
    for (const c of containers) {
      if (c.imageRef) inUse.add(c.imageRef);
      if (c.image?.image) inUse.add(c.image.image);
    }
    // Images already there at the kubelet's start count as detected at the zero time, as upstream.
    const detectedAt = this.initialized ? now : 0;
    this.initialized = true;
    const current = new Set<string>();
    for (const img of images) {
      current.add(img.id);
      let r = this.records.get(img.id);
      if (!r) this.records.set(img.id, (r = { firstDetected: detectedAt, lastUsed: 0, size: 0 }));
      if (inUse.has(img.id) || img.repoTags.some((t) => inUse.has(t)) || img.repoDigests.some((t) => inUse.has(t)) || img.pinned) r.lastUsed = now;
      r.size = img.size;
    }
    for (const id of [...this.records.keys()]) if (!current.has(id)) this.records.delete(id);
    return inUse;
  }

  /** Removes unused images (oldest use first) until `bytesToFree` were freed; resolves to the bytes freed. */
  async freeSpace(bytesToFree: number, now: number): Promise<number> {
    await this.detectImages(now);
    const candidates = [...this.records.entries()]
      .filter(([, r]) => r.lastUsed < now)
      .sort(([, a], [, b]) => a.lastUsed - b.lastUsed || a.firstDetected - b.firstDetected);
    let freed = 0;
    const errors: string[] = [];
    for (const [id, r] of candidates) {
      // A just-pulled image is about to be used: leave it.
      if (now - r.firstDetected < this.d.policy.minAgeMs) continue;
      this.d.log.info(0, "image garbage collection: removing image", { image: id, bytes: r.size });
      try {
        await this.d.cri.removeImage({ image: id });
      } catch (err) {
        errors.push((err as Error).message);
        continue;
      }
      this.records.delete(id);
      freed += r.size;
      if (freed >= bytesToFree) break;
    }
    if (errors.length > 0) {
      throw Object.assign(new Error(`wanted to free ${bytesToFree} bytes, but freed ${freed} bytes space with errors in image deletion: [${errors.join(", ")}]`), { freed });
    }
    return freed;
  }

  /** Removes every unused image old enough (the eviction manager's node-level reclaim). */
  deleteUnusedImages(): Promise<number> {
    return this.freeSpace(Number.MAX_SAFE_INTEGER, this.d.clock.now());
  }

  /** One GC pass: if image fs usage ≥ the high threshold, free down to the low threshold. */
  async garbageCollect(): Promise<void> {
    const fs = await this.d.imageFs();
    const capacity = fs?.capacityBytes ?? 0;
    let available = fs?.availableBytes ?? 0;
    if (available > capacity) available = capacity;
    if (capacity === 0) {
      const msg = "invalid capacity 0 on image filesystem";
      this.d.nodeEvent("InvalidDiskCapacity", msg);
      throw new Error(msg);
    }
    const usagePercent = 100 - Math.trunc((available * 100) / capacity);
    if (usagePercent < this.d.policy.highThresholdPercent) return;
    const amountToFree = Math.trunc((capacity * (100 - this.d.policy.lowThresholdPercent)) / 100) - available;
    this.d.log.info(0, "image garbage collection: disk usage over the high threshold", {
      usagePercent, high: this.d.policy.highThresholdPercent, low: this.d.policy.lowThresholdPercent, bytesToFree: amountToFree,
    });
    const freed = await this.freeSpace(amountToFree, this.d.clock.now());
    if (freed < amountToFree) {
      const msg = `failed to garbage collect required amount of images. Wanted to free ${amountToFree} bytes, but freed ${freed} bytes`;
      this.d.nodeEvent("FreeDiskSpaceFailed", msg);
      throw new Error(msg);
    }
  }

  /** Records images now, then runs a GC pass every 5 minutes (a repeated failure is a Warning event, as upstream). */
  start(): void {
    this.running = this.detectImages(this.d.clock.now()).then(() => undefined, (err) => this.d.log.error("image garbage collection: cannot list images", { err: (err as Error).message }));
    const tick = () => {
      this.running = this.garbageCollect().then(() => {
        this.failedBefore = false;
      }, (err) => {
        const message = (err as Error).message;
        if (this.failedBefore) this.d.nodeEvent("ImageGCFailed", message);
        this.d.log.error("image garbage collection failed", { err: message, repeated: this.failedBefore });
        this.failedBefore = true;
      }).finally(() => {
        this.running = undefined;
        if (this.stopTimer) this.stopTimer = this.d.clock.setTimer(IMAGE_GC_PERIOD_MS, tick);
      });
    };
    this.stopTimer = this.d.clock.setTimer(IMAGE_GC_PERIOD_MS, tick);
  }

  async stop(): Promise<void> {
    const cancel = this.stopTimer;
    this.stopTimer = undefined;
    cancel?.();
    await this.running;
  }
}
