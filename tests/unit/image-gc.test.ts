/**
 * Image garbage collection on a fake runtime: thresholds, least recently used first, minimum age,
 * images in use (containers, the sandbox image) kept, failures as upstream words them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { IMAGE_GC_PERIOD_MS, ImageGCManager, validateImageGCPolicy, type ImageGCDeps } from "../../kubelet/images/imageGC.ts";
import { createLogger } from "../../kubelet/log.ts";
import { fakeClock } from "./support/fakeTime.ts";

const MB = 1_000_000;

/** A fake runtime: images by id with size, containers by image ref; removeImage deletes (or fails for ids in `failRemove`). */
function fakeRuntime(images: Record<string, number>, usedBy: string[] = []) {
  const state = { images: new Map(Object.entries(images)), used: new Set(usedBy), removed: [] as string[], failRemove: new Set<string>(), tags: new Map<string, string>() };
  const cri = {
    async listImages() {
      return [...state.images].map(([id, size]) => ({ id, size, repoTags: state.tags.has(id) ? [state.tags.get(id)!] : [], repoDigests: [], pinned: false }));
    },
    async listContainers() {
      return [...state.used].map((ref, i) => ({ id: `c${i}`, imageRef: ref, image: { image: ref } }));
    },
    async removeImage(spec: { image: string }) {
      if (state.failRemove.has(spec.image)) throw new Error(`cannot remove ${spec.image}`);
      state.images.delete(spec.image);
      state.removed.push(spec.image);
    },
    async imageStatus(spec: { image: string }) {
      const id = [...state.tags].find(([, t]) => t === spec.image)?.[0];
      return { image: id ? { id } : null, info: {} };
    },
  } as unknown as ImageGCDeps["cri"];
  return { cri, state };
}

function setup(images: Record<string, number>, usedBy: string[], fs: { capacityBytes: number; availableBytes: number }, minAgeMs = 120_000) {
  const { clock, advance } = fakeClock();
  const rt = fakeRuntime(images, usedBy);
  const events: string[] = [];
  const gc = new ImageGCManager({
    cri: rt.cri, clock, log: createLogger(0, () => undefined), policy: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs },
    imageFs: async () => fs, nodeEvent: (r, m) => events.push(`${r}: ${m}`),
  });
  return { gc, rt, clock, advance, events, fs };
}

test("policy validation with upstream's messages", () => {
  assert.throws(() => validateImageGCPolicy({ highThresholdPercent: 101, lowThresholdPercent: 80, minAgeMs: 0 }), /invalid HighThresholdPercent 101, must be in range \[0-100\]/);
  assert.throws(() => validateImageGCPolicy({ highThresholdPercent: 50, lowThresholdPercent: 80, minAgeMs: 0 }), /LowThresholdPercent 80 can not be higher than HighThresholdPercent 50/);
});

test("below the high threshold nothing is removed", async () => {
  const s = setup({ a: 10 * MB }, [], { capacityBytes: 1000 * MB, availableBytes: 200 * MB }); // 80% used
  await s.gc.garbageCollect();
  assert.equal(s.rt.state.removed, []);
});

test("at the high threshold unused images go, least recently used first, until the low threshold is reached", async () => {
  // 90% used: free down to 80% = 100 MB.
  const s = setup({ old: 60 * MB, older: 60 * MB, used: 500 * MB, newer: 60 * MB }, ["used"], { capacityBytes: 1000 * MB, availableBytes: 100 * MB });
  await s.gc.detectImages(s.clock.now());
  // "newer" and "old" were in use at some point later than "older".
  s.rt.state.used = new Set(["used", "newer", "old"]);
  await s.advance(1000);
  await s.gc.detectImages(s.clock.now());
  s.rt.state.used = new Set(["used", "newer"]);
  await s.advance(1000);
  await s.gc.detectImages(s.clock.now());
  s.rt.state.used = new Set(["used"]);
  await s.advance(1000);
  await s.gc.garbageCollect();
  assert.equal(s.rt.state.removed, ["older", "old"], "never used first, then the one used longest ago; 120 MB ≥ 100 MB");
  assert.ok(s.rt.state.images.has("used") && s.rt.state.images.has("newer"));
});

test("images younger than imageMinimumGCAge stay; images present at start count as old", async () => {
  const s = setup({ preexisting: 10 * MB }, [], { capacityBytes: 100 * MB, availableBytes: 5 * MB });
  await s.gc.detectImages(s.clock.now()); // first detection: the zero time
  s.rt.state.images.set("fresh", 10 * MB);
  await s.advance(1000);
  let err: Error | undefined;
  await s.gc.garbageCollect().catch((e) => (err = e as Error));
  assert.equal(s.rt.state.removed, ["preexisting"]);
  assert.match(err!.message, /failed to garbage collect required amount of images\. Wanted to free 15000000 bytes, but freed 10000000 bytes/);
  assert.equal(s.events, ["FreeDiskSpaceFailed: failed to garbage collect required amount of images. Wanted to free 15000000 bytes, but freed 10000000 bytes"]);
});

test("the sandbox image counts as in use", async () => {
  const { clock } = fakeClock();
  const rt = fakeRuntime({ pause: 1 * MB, other: 1 * MB });
  rt.state.tags.set("pause", "registry/pause:3.2");
  const gc = new ImageGCManager({
    cri: rt.cri, clock, log: createLogger(0, () => undefined), policy: { highThresholdPercent: 85, lowThresholdPercent: 80, minAgeMs: 0 },
    imageFs: async () => ({ capacityBytes: 100, availableBytes: 0 }), sandboxImage: "registry/pause:3.2", nodeEvent: () => undefined,
  });
  await gc.deleteUnusedImages();
  assert.equal(rt.state.removed, ["other"]);
});

test("removal errors are reported with what was freed; a zero capacity is an InvalidDiskCapacity event", async () => {
  const s = setup({ a: MB, b: MB }, [], { capacityBytes: 100 * MB, availableBytes: 0 }, 0);
  s.rt.state.failRemove.add("a");
  let err: Error | undefined;
  await s.gc.garbageCollect().catch((e) => (err = e as Error));
  assert.match(err!.message, /but freed 1000000 bytes space with errors in image deletion: \[cannot remove a\]/);
  const z = setup({}, [], { capacityBytes: 0, availableBytes: 0 });
  await z.gc.garbageCollect().catch(() => undefined);
  assert.equal(z.events, ["InvalidDiskCapacity: invalid capacity 0 on image filesystem"]);
});

test("start(): a pass every 5 minutes; a failure repeated twice in a row is an ImageGCFailed event", async () => {
  const s = setup({}, [], { capacityBytes: 0, availableBytes: 0 });
  s.gc.start();
  await s.advance(IMAGE_GC_PERIOD_MS);
  assert.equal(s.events.filter((e) => e.startsWith("ImageGCFailed")), []);
  await s.advance(IMAGE_GC_PERIOD_MS);
  assert.equal(s.events.filter((e) => e.startsWith("ImageGCFailed")), ["ImageGCFailed: invalid capacity 0 on image filesystem"]);
  await s.gc.stop();
});

test.run();
