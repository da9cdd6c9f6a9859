import { test } from "uvu";
import * as assert from "uvu/assert";
import { createLogger } from "../../kubelet/log.ts";
import type { Clock } from "../../kubelet/ports/clock.ts";
import type { PodRuntimeStatus } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";
import { GenericPleg } from "../../kubelet/pleg/genericPleg.ts";

function clock(): Clock & { t: number } {
  return { t: 1000, now() { return this.t; }, setTimer: () => () => {}, sleep: async () => {} };
}

const pod = (uid: string, state: "running" | "exited" = "running"): PodRuntimeStatus => ({
  uid, name: `p-${uid}`, namespace: "default",
  sandboxes: [{ id: `sb-${uid}`, attempt: 0, ready: true, createdAt: 1, ips: ["10.0.0.1"], hostNetwork: false }],
  containers: [{ id: `c-${uid}`, name: "main", sandboxId: `sb-${uid}`, restartCount: 0, hash: "1", state, createdAt: 1, startedAt: 1, finishedAt: 0, exitCode: 0, reason: "", message: "", image: "busybox", imageRef: "x" }],
});

test("a relist reports the pods whose sandboxes or containers changed, and pods that disappeared", async () => {
  const c = clock();
  let listing = [pod("a"), pod("b")];
  const changes: string[][] = [];
  const pleg = new GenericPleg(async () => listing, (uids) => changes.push([...uids].sort()), c, createLogger(0, () => {}));
  await pleg.start();
  listing = [pod("a", "exited")];
  await pleg.relist();
  await pleg.relist();
  pleg.stop();
  assert.equal(changes, [["a", "b"], ["a", "b"]]);
});

test("statusNewerThan answers only from a relist that started after the given time", async () => {
  const c = clock();
  let finishList: () => void = () => {};
  const pleg = new GenericPleg(() => new Promise<PodRuntimeStatus[]>((resolve) => (finishList = () => resolve([pod("a")]))), () => {}, c, createLogger(0, () => {}));
  assert.is(pleg.statusNewerThan("a", 0), undefined, "no relist yet");
  const started = pleg.start();
  c.t = 1005; // the relist started at 1000 and ends at 1005
  finishList();
  await started;
  pleg.stop();
  assert.equal(pleg.statusNewerThan("a", 999)?.status?.uid, "a");
  assert.equal(pleg.statusNewerThan("zzz", 999), {}, "the runtime holds nothing of it");
  assert.is(pleg.statusNewerThan("a", 1000), undefined, "a sync that ended when the relist started may not be in it");
  assert.is(pleg.statusNewerThan("a", 1003), undefined);
});

test.run();
