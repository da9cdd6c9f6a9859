import { test } from "uvu";
import * as assert from "uvu/assert";
import { selectGarbage } from "../../kubelet/kuberuntime/containerGC.ts";
import type { PodRuntimeStatus, RuntimeContainer, RuntimeSandbox } from "../../kubelet/kuberuntime/podRuntimeStatus.ts";

const ctr = (id: string, name: string, state: RuntimeContainer["state"], createdAt: number, sandboxId = "s1"): RuntimeContainer => ({
  id, name, sandboxId, restartCount: 0, hash: "h", state, createdAt, startedAt: createdAt, finishedAt: createdAt + 1, exitCode: 1, reason: "", message: "", image: "", imageRef: "",
});
const sb = (id: string, ready: boolean, createdAt: number): RuntimeSandbox => ({ id, attempt: 0, ready, createdAt, ips: [], hostNetwork: false });
const pod = (containers: RuntimeContainer[], sandboxes: RuntimeSandbox[]): PodRuntimeStatus => ({ uid: "u", name: "p", namespace: "default", containers, sandboxes });

test("only the newest dead instance of each container is kept for a wanted pod", () => {
  const p = pod([ctr("c3", "app", "running", 30), ctr("c2", "app", "exited", 20), ctr("c1", "app", "exited", 10), ctr("c0", "app", "exited", 5)], [sb("s1", true, 1)]);
  const g = selectGarbage([p], () => true, 100);
  assert.equal(g.containers.map((x) => x.container.id), ["c1", "c0"]);
  assert.equal(g.sandboxes, []);
});

test("running containers are never collected", () => {
  const g = selectGarbage([pod([ctr("c1", "app", "running", 1)], [sb("s1", true, 1)])], () => false, 100);
  assert.equal(g.containers, []);
});

test("a pod that is no longer wanted loses every dead container and dead sandbox", () => {
  const g = selectGarbage([pod([ctr("c1", "app", "exited", 1)], [sb("s1", false, 1)])], () => false, 100);
  assert.equal(g.containers.map((x) => x.container.id), ["c1"]);
  assert.equal(g.sandboxes.map((s) => s.id), ["s1"]);
});

test("dead containers younger than the minimum age stay", () => {
  const p = pod([ctr("c2", "app", "exited", 95), ctr("c1", "app", "exited", 90)], [sb("s1", true, 1)]);
  assert.equal(selectGarbage([p], () => true, 100, { minAgeMs: 50, maxPerPodContainer: 0 }).containers, []);
});

test("an older dead sandbox goes once no container uses it; the newest is kept for a wanted pod", () => {
  const p = pod([ctr("c1", "app", "running", 50, "s2")], [sb("s2", false, 40), sb("s1", false, 10)]);
  assert.equal(selectGarbage([p], () => true, 100).sandboxes.map((s) => s.id), ["s1"]);
});

test.run();
