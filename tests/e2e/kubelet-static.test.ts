/**
 * Static pods in cluster mode against kube-apiserver 1.20.2: the mirror pod (annotations, owner,
 * status), its re-creation after a delete (the static pod keeps running), a changed manifest
 * replacing the pod (the mirror follows), and a removed manifest removing both.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Pod } from "../../bindings/kube/types.ts";
import { eventually } from "../integration/support/eventually.ts";
import { createNamespace, deleteNamespace, getNode, getPod, waitPod } from "./support/apiObjects.ts";
import { kubectl } from "./support/cluster.ts";
import { ClusterKubelet } from "./support/clusterKubelet.ts";
import { podObject, READY_FILE_PROBE, shContainer, TRAPPING_SLEEPER } from "./support/testPods.ts";

let k: ClusterKubelet;
let ns: string;
let name: string;

test.before(async () => {
  k = await ClusterKubelet.create({ prefix: "kts-static" });
  ns = await createNamespace("static");
  await k.start();
  name = k.staticPodName("web");
});

test.after(async () => {
  await k.cleanup();
  await deleteNamespace(ns);
});

const manifest = (version: string): Pod => podObject(ns, "web", {}, [shContainer("main", `echo ${version}; ${TRAPPING_SLEEPER}`, { readinessProbe: READY_FILE_PROBE })], { terminationGracePeriodSeconds: 2 }, { app: "static", version });
const runningReady = (p: Pod) => p.status?.phase === "Running" && p.status.conditions?.find((c) => c.type === "Ready")?.status === "True";
const containerOf = (p: Pod) => p.status!.containerStatuses![0]!.containerID!;

test("a static pod gets a mirror pod owned by the Node, with the config annotations and the pod's status", async () => {
  k.writeManifest("web.json", manifest("v1"));
  const mirror = await waitPod(ns, name, "mirror Running and Ready", runningReady, 60_000, () => k.output());
  const a = mirror.metadata.annotations!;
  assert.ok(a["kubernetes.io/config.hash"], "config.hash");
  assert.is(a["kubernetes.io/config.mirror"], a["kubernetes.io/config.hash"]);
  assert.is(a["kubernetes.io/config.source"], "file");
  assert.ok(a["kubernetes.io/config.seen"], "config.seen");
  assert.ok(mirror.metadata.uid !== a["kubernetes.io/config.hash"], "the mirror pod has its own UID");
  const node = (await getNode(k.nodeName))!;
  assert.equal(mirror.metadata.ownerReferences, [{ apiVersion: "v1", kind: "Node", name: k.nodeName, uid: node.metadata.uid!, controller: true }]);
  assert.is(mirror.spec.nodeName, k.nodeName);
  assert.equal(mirror.metadata.labels, { app: "static", version: "v1" });
  const cs = mirror.status!.containerStatuses![0]!;
  assert.equal([cs.name, cs.ready, cs.restartCount], ["main", true, 0]);
  assert.ok((await k.containers()).some((c) => `containerd://${c.id}` === cs.containerID), "the status names the runtime's container");
  const row = (await kubectl(["-n", ns, "get", "pod", name, "--no-headers"])).trim().split(/\s+/);
  assert.equal(row.slice(0, 4), [name, "1/1", "Running", "0"]);
});

test("deleting the mirror pod re-creates it; the static pod keeps running", async () => {
  const before = (await getPod(ns, name))!;
  await kubectl(["-n", ns, "delete", "pod", name, "--wait=false"]);
  const again = await waitPod(ns, name, "a new mirror pod, Running and Ready", (p) => p.metadata.uid !== before.metadata.uid && !p.metadata.deletionTimestamp && runningReady(p), 30_000, () => k.output());
  assert.is(again.metadata.annotations!["kubernetes.io/config.mirror"], before.metadata.annotations!["kubernetes.io/config.mirror"]);
  assert.is(containerOf(again), containerOf(before), "same container");
  assert.is(again.status!.containerStatuses![0]!.restartCount, 0);
  assert.equal((await k.containers()).filter((c) => c.state === "CONTAINER_RUNNING").length, 1);
});

test("changing the manifest replaces the static pod; the mirror pod follows", async () => {
  const before = (await getPod(ns, name))!;
  k.writeManifest("web.json", manifest("v2"));
  const after = await waitPod(ns, name, "mirror of v2, Running and Ready", (p) => p.metadata.labels?.version === "v2" && !p.metadata.deletionTimestamp && runningReady(p), 60_000, () => k.output());
  assert.ok(after.metadata.uid !== before.metadata.uid, "a new mirror pod");
  assert.ok(after.metadata.annotations!["kubernetes.io/config.hash"] !== before.metadata.annotations!["kubernetes.io/config.hash"], "a new config hash");
  assert.is(after.metadata.annotations!["kubernetes.io/config.mirror"], after.metadata.annotations!["kubernetes.io/config.hash"]);
  assert.ok(containerOf(after) !== containerOf(before), "a new container");
  await eventually("the old pod's containers removed", async () => {
    const cs = await k.containers();
    return cs.length === 1 && `containerd://${cs[0]!.id}` === containerOf(after) ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  const mirrors = JSON.parse(await kubectl(["-n", ns, "get", "pods", "-o", "json"])).items as Pod[];
  assert.equal(mirrors.map((p) => p.metadata.name), [name], "one mirror pod");
});

test("removing the manifest stops the pod and deletes its mirror pod", async () => {
  k.removeManifest("web.json");
  await eventually("mirror pod gone", async () => ((await getPod(ns, name)) === undefined ? true : undefined), { timeoutMs: 30_000, intervalMs: 250, describe: () => k.output() });
  await eventually("containers removed", async () => ((await k.containers()).length === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 250 });
});

test.run();
