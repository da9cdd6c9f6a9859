import { test } from "uvu";
import * as assert from "uvu/assert";
import { silentLogger } from "../../kubelet/log.ts";
import { PodWorkers } from "../../kubelet/podWorkers.ts";
import { fakeClock } from "./support/fakeTime.ts";

test("syncs of one pod never overlap and updates during a sync coalesce into one more sync", async () => {
  let active = 0, maxActive = 0, calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const w = new PodWorkers(async () => {
    calls++; active++; maxActive = Math.max(maxActive, active);
    if (calls === 1) await gate;
    active--;
  }, fakeClock().clock, silentLogger);
  w.update("a"); w.update("a"); w.update("a"); w.update("a");
  release();
  await w.idle("a");
  assert.is(maxActive, 1);
  assert.is(calls, 2);
});

test("different pods sync independently", async () => {
  const seen: string[] = [];
  const w = new PodWorkers(async (uid) => { seen.push(uid); }, fakeClock().clock, silentLogger);
  w.update("a"); w.update("b");
  await Promise.all([w.idle("a"), w.idle("b")]);
  assert.equal(seen.sort(), ["a", "b"]);
});

test("a failing sync does not stop later syncs of the pod", async () => {
  let calls = 0;
  const w = new PodWorkers(async () => { calls++; if (calls === 1) throw new Error("boom"); }, fakeClock().clock, silentLogger);
  w.update("a");
  await w.idle("a");
  w.update("a");
  await w.idle("a");
  assert.is(calls, 2);
});

test("updateAfter keeps the earliest delayed request", async () => {
  const { clock, advance } = fakeClock();
  let calls = 0;
  const w = new PodWorkers(async () => { calls++; }, clock, silentLogger);
  w.updateAfter("a", 10_000);
  w.updateAfter("a", 5_000);
  await advance(5_000);
  await w.idle("a");
  assert.is(calls, 1);
  await advance(10_000);
  await w.idle("a");
  assert.is(calls, 1);
});

test.run();
